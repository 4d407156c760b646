/**
 * Shared vocabulary of the provider tests (test/providers/<kind>.test.ts): send a request to a
 * source, and assert what a sender and the queue see. Each provider's own signing builder lives
 * at the top of its test file (node:crypto, independent of the gateway's WebCrypto code) and is
 * checked against the provider's own library or published example there.
 */
import { reset, SELF } from "cloudflare:test";
import { afterEach, expect } from "vitest";
import type { Provider } from "../../src/providers/provider";
import { decode, drain, envelope, GATEWAY } from "./api";

export { GATEWAY };
export const DEV_SECRET = "local-dev-secret";
/** The public URL of URL-signing development sources (src/providers/provider.ts DEV_PUBLIC_BASE_URL). */
export const DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8787";
export const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Well past a 300 s tolerance, whichever way the gateway's clock ticks meanwhile. */
export const STALE_SECONDS = 310;

/** Resets storage after each test of the file that calls it. */
export function resetAfterEach(): void {
  afterEach(() => reset());
}

/** A request to `/ingest/<source>` (POST unless said otherwise), with its query string. */
export function send(
  source: string,
  init: { method?: string; body?: BodyInit; headers?: Record<string, string>; query?: string } = {},
): Promise<Response> {
  return SELF.fetch(`${GATEWAY}/ingest/${source}${init.query ?? ""}`, {
    method: init.method ?? "POST",
    headers: init.headers,
    body: init.body,
    redirect: "manual",
  });
}

export interface EnvelopeMessage {
  id: string;
  source: string;
  received_at: string;
  delivery_id: string | null;
  event: string | null;
  content_type: string;
  headers: Record<string, string>;
  data: unknown;
}

/** Every message in the queue now, decoded (and acked). */
export async function delivered(queue = "webhooks"): Promise<EnvelopeMessage[]> {
  return (await drain(queue)).map((m) => decode(m) as EnvelopeMessage);
}

/** 202 with the envelope; returns the ids. */
export async function expectAccepted(res: Response): Promise<string[]> {
  const body = await envelope<{ ids: string[] }>(res);
  expect({ status: res.status, success: body.success }).toEqual({ status: 202, success: true });
  return body.result.ids;
}

/**
 * Secret rotation: a source listing two secrets (ROTATING_SECRETS, the old one first) accepts a
 * delivery signed with either and refuses one signed with a secret it no longer lists.
 * `sendSigned(secret)` builds a fresh delivery, signs it with `secret` and sends it to that source.
 */
export const ROTATING_SECRETS = ["old-secret", DEV_SECRET];
export async function expectRotation(sendSigned: (secret: string) => Response | Promise<Response>): Promise<void> {
  for (const secret of ROTATING_SECRETS) await expectAccepted(await sendSigned(secret));
  await expectUnauthorized(await sendSigned("older-still"));
}

/** The one generic 401 every verification failure gets. */
export async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({
    success: false,
    errors: [{ code: 10000, message: "Unauthorized" }],
    messages: [],
    result: null,
  });
}

/** A handshake's exact answer: status, content type and body (and nothing enqueued: check with `delivered`). */
export async function expectAnswer(
  res: Response,
  status: number,
  contentType: string | null,
  body: string,
): Promise<void> {
  expect({ status: res.status, type: res.headers.get("content-type"), body: await res.text() }).toEqual({
    status,
    type: contentType,
    body,
  });
}

export const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

/**
 * A delivery and its repeat: the first is accepted (202), the repeat answered as its duplicate
 * (200, the first's ids) and the queue holds the first only.
 */
export async function expectDuplicate(
  first: Promise<Response>,
  repeat: () => Promise<Response>,
  queue = "webhooks",
): Promise<void> {
  const [id] = await expectAccepted(await first);
  const again = await repeat();
  expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
    status: 200,
    result: { ids: [id], duplicate: true },
  });
  expect((await delivered(queue)).map((m) => m.id)).toEqual([id]);
}

/** How `/openapi.json` describes a source's ingest operation. */
export async function ingestDescription(source: string): Promise<string | undefined> {
  const document = (await (await SELF.fetch(`${GATEWAY}/openapi.json`)).json()) as {
    paths: Record<string, { post?: { description?: string } }>;
  };
  return document.paths[`/ingest/${source}`]?.post?.description;
}

/** Runs a provider's verifier directly on a POST to its development source, as the route would. */
export function verifyDirectly<A extends { kind: string }>(
  provider: Provider<A>,
  auth: A,
  body: string,
  headers: Record<string, string> = {},
  url = `${GATEWAY}/ingest/${provider.kind}`,
) {
  const input = {
    body: new TextEncoder().encode(body),
    headers: new Headers(headers),
    method: "POST",
    url: new URL(url),
    nowSeconds: nowSeconds(),
  };
  return provider.verify(auth, input, { keys: [], queue: "webhooks" });
}
