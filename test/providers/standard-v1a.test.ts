/**
 * Standard Webhooks `v1a`: `webhook-signature: v1a,<base64 Ed25519 signature of {id}.{ts}.{body}>`,
 * checked with the sender's `whpk_` public key, beside (or instead of) `v1` HMAC entries; any
 * entry may match. No JavaScript library verifies v1a (standardwebhooks and svix read v1 only),
 * so the builder below signs with node:crypto and is proved by RFC 8032's published vector; the
 * signed string is proved by the standardwebhooks library verifying the `v1` entry beside it.
 */
import { env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { createHmac, createPublicKey, type KeyObject } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { loadConfig } from "../../src/config/load";
import { standard } from "../../src/providers/standard";
import { STANDARD_DEV_SECRET } from "../support/constants";
import {
  delivered,
  expectAccepted,
  expectDuplicate,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";
import { ed25519Key, ed25519Sign, RFC8032_KEY, RFC8032_TEST1 } from "../support/sign/discord";

const whpk = (key: KeyObject) =>
  `whpk_${Buffer.from(createPublicKey(key).export({ format: "jwk" }).x!, "base64url").toString("base64")}`;
const OTHER_KEY = ed25519Key("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");

interface Signed {
  id?: string;
  at?: number;
  /** The entries of webhook-signature, signed over `{id}.{at}.{body}`; the default is one v1a entry. */
  entries?: ((content: string) => string)[];
}
const v1a =
  (key = RFC8032_KEY) =>
  (content: string) =>
    `v1a,${ed25519Sign(key, content).toString("base64")}`;
/** A well-formed v1a entry nobody signed: `n` makes it distinct. */
const unverifiable = (n: number) => () => `v1a,${Buffer.alloc(64, n).toString("base64")}`;
const v1 =
  (secret = STANDARD_DEV_SECRET) =>
  (content: string) =>
    `v1,${createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
      .update(content)
      .digest("base64")}`;

function standardHeaders(
  body: string,
  { id = `msg_${crypto.randomUUID()}`, at = nowSeconds(), entries = [v1a()] }: Signed = {},
): Record<string, string> {
  const content = `${id}.${at}.${body}`;
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(at),
    "webhook-signature": entries.map((sign) => sign(content)).join(" "),
  };
}

const event = (type = "contact.created") =>
  JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id: crypto.randomUUID() } });
const post = (body: string, signed: Signed = {}, extra: Record<string, string> = {}) =>
  send("standard", { body, headers: { ...standardHeaders(body, signed), cookie: "a=b", ...extra } });
/** The same gateway with other bindings (config is read from them). */
const postWith = (vars: Record<string, unknown>, body: string, signed: Signed = {}) =>
  app.request(`${GATEWAY}/ingest/standard`, { method: "POST", body, headers: standardHeaders(body, signed) }, {
    ...env,
    ...vars,
  } as Env);
// The test configuration's other sources stay (its write keys name some of them).
const PUBLIC_KEY_ONLY = {
  SOURCES: {
    ...(env.SOURCES as object),
    standard: { auth: { kind: "standard", public_key: "STANDARD_WEBHOOK_PUBLIC_KEY" } },
  },
};

resetAfterEach();

describe("Standard Webhooks v1a", () => {
  it("the builder signs as the spec says: RFC 8032's vector, the development key, and the v1 entry beside it verifies", () => {
    expect(ed25519Sign(RFC8032_KEY, "").toString("hex")).toBe(RFC8032_TEST1.emptyMessageSignature);
    expect(whpk(RFC8032_KEY)).toBe(env.STANDARD_WEBHOOK_PUBLIC_KEY);
    const body = event();
    const headers = standardHeaders(body, { entries: [v1a(), v1()] });
    expect(new Webhook(STANDARD_DEV_SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("accepts a v1a signature: event type and signed id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(event("invoice.paid"), { id: "msg_v1a" }));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "standard", event: "invoice.paid", delivery_id: "msg_v1a" });
    expect(Object.keys(message!.headers).sort()).toEqual(["webhook-id", "webhook-timestamp"]);
  });

  it.each<[string, Signed["entries"]]>([
    ["v1 alone (the secret is still configured)", [v1()]],
    ["a good v1a after a bad v1", [v1("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), v1a()]],
    ["a good v1 after a bad v1a", [v1a(OTHER_KEY), v1()]],
  ])("any v1 or v1a entry may match: %s", async (_case, entries) => {
    await expectAccepted(await post(event(), { entries }));
  });

  const body = event();
  it.each<[string, () => Promise<Response>]>([
    ["a tampered body", () => send("standard", { body: `${body} `, headers: standardHeaders(body) })],
    ["a wrong key", () => post(body, { entries: [v1a(OTHER_KEY)] })],
    ["a stale timestamp", () => post(body, { at: nowSeconds() - STALE_SECONDS })],
    ["a future timestamp", () => post(body, { at: nowSeconds() + STALE_SECONDS })],
    ["a signature for another id", () => post(body, { id: "msg_1" }, { "webhook-id": "msg_2" })],
    ["no signature", () => post(body, {}, { "webhook-signature": "" })],
    ["a v1a entry that is not base64", () => post(body, { entries: [() => "v1a,not base64!"] })],
    [
      "a v1a entry of HMAC length",
      () => post(body, { entries: [() => `v1a,${Buffer.alloc(32, 1).toString("base64")}`] }),
    ],
    ["more than 5 distinct entries", () => post(body, { entries: [...[1, 2, 3, 4, 5].map(unverifiable), v1a()] })],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await request());
    expect(await delivered()).toEqual([]);
  });

  it("a rotated public key list accepts both keys", async () => {
    const rotating = { STANDARD_WEBHOOK_PUBLIC_KEY: JSON.stringify([whpk(OTHER_KEY), whpk(RFC8032_KEY)]) };
    await expectAccepted(await postWith(rotating, event(), { entries: [v1a(OTHER_KEY)] }));
    await expectAccepted(await postWith(rotating, event()));
    await expectUnauthorized(await postWith(rotating, event(), { entries: [v1a(ed25519Key("11".repeat(32)))] }));
    expect((await delivered()).length).toBe(2);
  });

  it("a source with a public key only accepts v1a and refuses v1", async () => {
    await expectAccepted(await postWith(PUBLIC_KEY_ONLY, event()));
    await expectUnauthorized(await postWith(PUBLIC_KEY_ONLY, event(), { entries: [v1()] }));
  });

  it("a repeat of a webhook-id is answered as a duplicate and enqueued once", async () => {
    const repeated = event();
    await expectDuplicate(post(repeated, { id: "msg_dup" }), () => post(repeated, { id: "msg_dup" }));
  });

  it("configuration needs a secret or a public key, and refuses a public key that is not one", () => {
    const configure = (auth: object) => () =>
      loadConfig({ ...env, SOURCES: { ...(env.SOURCES as object), standard: { auth } } } as unknown as Env);
    expect(configure({ kind: "standard" })).toThrow(
      "Invalid gateway configuration: sources.standard.auth.secret: required: `secret` (a whsec_ signing secret, for v1 signatures) or `public_key` (a whpk_ public key, for v1a), or both",
    );
    const parsed = standard.auth.safeParse({ kind: "standard", public_key: "K", public_keys: ["whpk_AAAA"] });
    expect(parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "public_keys.0: K is not a Standard Webhooks public key (whpk_ and the base64 of 32 bytes)",
    ]);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("standard")).toContain("`v1a,<base64 Ed25519 signature");
  });
});
