/**
 * Every descriptor's signing side against its verifying side: each preset's sample, signed with
 * its `sign` and the development credentials (src/providers/dev-keys.ts), is accepted by its
 * development source, and a tampered copy is refused; each handshake is answered. The requests are
 * built as the CLI builds them (src/providers/example-request.ts). The provider tests beside this
 * file keep their own node:crypto builders and the providers' libraries: they catch a mistake
 * made the same way on both sides, which this test cannot.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load";
import { PROVIDERS, providerByKind } from "../../src/providers";
import { DEV_ED25519_SEED, developmentCredentials } from "../../src/providers/dev-keys";
import {
  handshakeRequest,
  type OutgoingRequest,
  type SourceAuthLike,
  signedDelivery,
} from "../../src/providers/example-request";
import type { Credentials, Provider } from "../../src/providers/provider";
import { isForm } from "../../src/providers/sample";
import {
  delivered,
  expectAccepted,
  expectUnauthorized,
  GATEWAY,
  nowSeconds,
  resetAfterEach,
} from "../support/providers";

resetAfterEach();

const PRESETS = PROVIDERS.filter((p) => p.example).map((p) => p.kind);
/** Where the credential is not a signature over the body: Mailgun signs a token, Graph and Postmark send a secret. */
const BODY_NOT_SIGNED = new Set(["mailgun", "msgraph", "postmark"]);
const WITH_HANDSHAKE = PROVIDERS.filter((p) => "handshakeSample" in p && p.handshakeSample).map((p) => p.kind);

const vars = env as unknown as Record<string, unknown>;

function source(name: string): { provider: Provider; auth: SourceAuthLike; credentials: Credentials } {
  const auth = loadConfig(env).sources[name]!.auth as SourceAuthLike;
  const provider = providerByKind(auth.kind)!;
  return {
    provider,
    auth,
    credentials: developmentCredentials(auth as SourceAuthLike & Record<string, unknown>, vars),
  };
}

const target = (name: string) => new URL(`${GATEWAY}/ingest/${name}`);

function send(request: OutgoingRequest): Promise<Response> {
  return SELF.fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
  });
}

/** The same request with its body changed after signing (a field for forms, whitespace for JSON). */
function tampered(request: OutgoingRequest): OutgoingRequest {
  const body = request.body ?? "";
  return { ...request, body: isForm(request.headers["content-type"]) ? `${body}&tampered=1` : `${body} ` };
}

/** Credentials of the same shape that are not the development ones. */
function others(credentials: Credentials): Credentials {
  const other = (value: string) => {
    if (/^[0-9a-f]{64}$/i.test(value)) return "11".repeat(32); // a private seed or scalar
    if (value.startsWith("whsec_")) return `whsec_${btoa("another-secret-of-32-bytes-long!")}`;
    return `${value}-other`;
  };
  return Object.fromEntries(Object.entries(credentials).map(([field, value]) => [field, other(value)]));
}

describe("the signing side of the descriptors", () => {
  it("every preset has a sample and a signer, and every provider with a handshake a handshake sample", () => {
    const missing = PROVIDERS.filter((p) => p.example).filter((p) => !p.sample || !p.sign);
    expect(missing.map((p) => p.kind)).toEqual([]);
    const answers = PROVIDERS.filter((p) => "challenge" in p || "handshake" in p).map((p) => p.kind);
    expect(answers.filter((kind) => !WITH_HANDSHAKE.includes(kind))).toEqual([]);
  });

  it.each(PRESETS)(
    "%s: its signed sample is accepted as the sample's event; tampered or signed with other credentials, refused",
    async (kind) => {
      const { provider, auth, credentials } = source(kind);
      const request = await signedDelivery(provider, auth, credentials, {
        target: target(kind),
        nowSeconds: nowSeconds(),
      });
      await expectAccepted(await send(request));
      const [message] = await delivered();
      expect(message?.event).toBe(provider.sample?.event);

      if (!BODY_NOT_SIGNED.has(kind)) await expectUnauthorized(await send(tampered(request)));
      const forged = await signedDelivery(provider, auth, others(credentials), {
        target: target(kind),
        nowSeconds: nowSeconds(),
      });
      await expectUnauthorized(await send(forged));
      expect(await delivered()).toEqual([]);
    },
  );

  it.each(WITH_HANDSHAKE)("%s: its handshake is answered and nothing is enqueued", async (kind) => {
    const { provider, auth, credentials } = source(kind);
    const request = await handshakeRequest(provider, auth, credentials, {
      target: target(kind),
      nowSeconds: nowSeconds(),
    });
    const res = await send(request);
    expect(res.status === 200 || res.status === 204, `${res.status} ${await res.clone().text()}`).toBe(true);
    // Echoed challenges come back as sent; computed answers (X's CRC, Discord's PONG, Intercom's HEAD) carry no echo.
    if (["meta", "dropbox", "msgraph", "slack", "twitch", "zoom"].includes(kind))
      expect(await res.text()).toContain(request.challenge);
    if (request.body) await expectUnauthorized(await send(tampered(request)));
    expect(await delivered()).toEqual([]);
  });

  it("Standard Webhooks' v1a: signed with the public key's private half alone, accepted", async () => {
    const { provider, auth } = source("standard");
    const request = await signedDelivery(
      provider,
      auth,
      { public_key: DEV_ED25519_SEED },
      { target: target("standard"), nowSeconds: nowSeconds() },
    );
    expect(request.headers["webhook-signature"]).toMatch(/^v1a,/);
    await expectAccepted(await send(request));
  });

  it("the generic HMAC source is signed with its own configured scheme", async () => {
    const { provider, auth, credentials } = source("hmac");
    const request = await signedDelivery(provider, auth, credentials, {
      target: target("hmac"),
      nowSeconds: nowSeconds(),
    });
    expect(Object.keys(request.headers)).toEqual(expect.arrayContaining(["x-signature", "x-timestamp"]));
    await expectAccepted(await send(request));
    await expectUnauthorized(await send(tampered(request)));
  });

  it("a request signed for another public URL is refused: the signed URL is the source's, not the address called", async () => {
    const { provider, auth, credentials } = source("square");
    const request = await signedDelivery(
      provider,
      { ...auth, public_base_url: "https://elsewhere.example" },
      credentials,
      {
        target: target("square"),
        nowSeconds: nowSeconds(),
      },
    );
    await expectUnauthorized(await send(request));
  });
});
