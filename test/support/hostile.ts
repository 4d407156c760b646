/**
 * Hostile request generators (fast-check), shared by the property tests and the resilience suite:
 * random bodies, headers, content types, encodings and methods for every ingest source, and
 * random bodies for every queue route.
 */
import { SELF } from "cloudflare:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { expect } from "vitest";
import { SOURCES as DEV_SOURCES } from "../../src/config/sources";
import { GATEWAY, queuePath } from "./api";
import { KEYS } from "./constants";

/** Every development source: the provider catalogue's presets, the generic HMAC sender, the app and the form. */
export const SOURCES = Object.keys(DEV_SOURCES);
/** Queries that reach the providers' challenges: junk, missing tokens, oversized values. */
const junk = fc.string({ maxLength: 40 });
const challengeQuery = fc.oneof(
  fc.constant(""),
  junk.map((v) => `?challenge=${encodeURIComponent(v)}`),
  fc
    .tuple(junk, junk, fc.constantFrom("subscribe", "", "x"))
    .map(
      ([token, challenge, mode]) =>
        `?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${encodeURIComponent(challenge)}`,
    ),
  junk.map((v) => `?crc_token=${encodeURIComponent(v)}`),
  junk.map((v) => `?validationToken=${encodeURIComponent(v)}`),
  fc
    .constantFrom(
      "?challenge=",
      "?crc_token=",
      "?validationToken=",
      "?hub.mode=subscribe&hub.verify_token=local-dev-verify-token&hub.challenge=",
    )
    .map((q) => `${q}${"x".repeat(20_000)}`),
);
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/x-ndjson",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=xyz",
  "text/plain",
  "text/html",
  "application/octet-stream",
  "application/vnd.x+json",
  "",
  "garbage/;;;",
];
const HEADER_NAMES = [
  "x-hub-signature-256",
  "stripe-signature",
  "x-slack-signature",
  "x-slack-request-timestamp",
  "x-shopify-hmac-sha256",
  "x-twilio-signature",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "svix-signature",
  "x-signature",
  "x-timestamp",
  "authorization",
  "content-encoding",
  "idempotency-key",
  "x-github-delivery",
];

const token = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789=,._-+/ ".split("")),
  maxLength: 80,
});
/** Signature lists far beyond what a sender sends: each entry would cost an HMAC. */
const signatureFlood = fc
  .tuple(fc.integer({ min: 2, max: 3000 }), fc.constantFrom(",", " ", ";"))
  .map(([n, separator]) =>
    Array.from({ length: n }, (_, i) =>
      separator === " " ? `v1,${btoa(String(i).padStart(32, "0"))}` : `v1=${i.toString(16).padStart(64, "0")}`,
    ).join(separator),
  );
const headerValue = fc.oneof(
  token,
  fc.constantFrom(
    "Bearer local-dev-key",
    "sha256=00",
    "v0=00",
    "v1,AAAA",
    "t=1,v1=00",
    "gzip",
    "deflate",
    "br",
    "1700000000",
    "99999999999999",
  ),
  signatureFlood,
  fc.nat({ max: 4000 }).map((n) => `t=${Math.floor(Date.now() / 1000)},${"v1=0".repeat(n)}`),
);
const jsonish = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .array(
      fc.record({
        event: fc.string(),
        properties: fc.dictionary(
          fc.string().filter((k) => k !== "_gotcha"),
          fc.jsonValue(),
        ),
      }),
    )
    .map((a) => JSON.stringify(a)),
);
/** 20 MB of zeros in ~20 KB: the inflation cap must stop it (made once, at import). */
const GZIP_BOMB = gzipSync(new Uint8Array(20_000_000), { level: 9 });
/** JSON whose keys repeat, at the top and nested: each parser could read a different value. */
const duplicateKeys = fc.constantFrom(
  '{"event":"a","event":"b"}',
  '[{"event":"a"},{"event":"b","properties":{"k":1,"k":2}}]',
  '{"event":"a","properties":{"x":{"y":1,"\\u0079":2}}}',
);
const body = fc.oneof(
  jsonish,
  duplicateKeys,
  fc.constant(GZIP_BOMB),
  fc.string(),
  fc.uint8Array({ maxLength: 512 }),
  fc
    .dictionary(
      fc.string().filter((k) => k !== "_gotcha"),
      fc.string(),
    )
    .map((d) => new URLSearchParams(d).toString()),
);

export const ingestRequest = fc.record({
  source: fc.constantFrom(...SOURCES, "nope", "..%2f", "app/extra"),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  headers: fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 5 }),
  body,
  method: fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "GET", "HEAD", "OPTIONS", "DELETE"),
  query: challengeQuery,
});

const apiBody = fc.oneof(
  fc.json(),
  fc.string(),
  fc
    .record(
      {
        body: fc.jsonValue(),
        content_type: fc.constantFrom("json", "text", "bytes", 5),
        delay_seconds: fc.oneof(fc.integer(), fc.double()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        messages: fc.array(fc.record({ body: fc.jsonValue(), content_type: fc.constantFrom("json", "text") }), {
          maxLength: 120,
        }),
        delay_seconds: fc.integer(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      { batch_size: fc.oneof(fc.integer(), fc.string()), visibility_timeout_ms: fc.oneof(fc.integer(), fc.double()) },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        acks: fc.array(fc.record({ lease_id: fc.oneof(fc.string(), fc.integer()) })),
        retries: fc.array(fc.record({ lease_id: fc.string(), delay_seconds: fc.integer() })),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      { refs: fc.array(fc.record({ ref: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] })) },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

export const apiRequest = fc.record({
  path: fc
    .tuple(
      fc.constantFrom("", "batch", "pull", "ack", "peek", "purge") as fc.Arbitrary<
        "" | "batch" | "pull" | "ack" | "peek" | "purge"
      >,
      fc.constantFrom("webhooks", "events", "nope", "x".repeat(70), "%00"),
    )
    .map(([action, queue]) => queuePath(queue, action)),
  body: apiBody,
  contentType: fc.constantFrom("application/json", "text/plain", ""),
  key: fc.constantFrom("local-dev-key", "bad", ""),
});

/** Operator routes, on every queue, with keys of every reach (cross-queue admin included). */
export const adminRequest = fc.record({
  route: fc.constantFrom(
    { method: "GET", path: "/queues" },
    { method: "POST", path: "/queues/{q}/flush" },
    { method: "GET", path: "/queues/{q}/dead-letters" },
    { method: "GET", path: "/queues/{q}/dead-letters?limit=0&cursor=%%%" },
    { method: "POST", path: "/queues/{q}/dead-letters/replay" },
    { method: "POST", path: "/queues/{q}/dead-letters/delete" },
  ),
  queue: fc.constantFrom(
    "webhooks",
    "events",
    "buffered",
    "buffered-remote",
    "nope",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "%2e%2e",
  ),
  key: fc.constantFrom(
    KEYS.dev.key,
    KEYS.adminWebhooks.key,
    KEYS.adminBufferedRemote.key,
    KEYS.pushOnly.key,
    "bad",
    "",
  ),
  body: fc.oneof(
    fc.constant("{}"),
    fc.json(),
    fc.string(),
    fc.record({ ids: fc.array(fc.string(), { maxLength: 3 }) }).map((v) => JSON.stringify(v)),
  ),
});

export function isEnvelope(value: unknown): boolean {
  const v = value as { success?: unknown; errors?: unknown; messages?: unknown };
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.success === "boolean" &&
    Array.isArray(v.errors) &&
    Array.isArray(v.messages) &&
    "result" in v
  );
}

export interface HostileAnswer {
  status: number;
  text: string;
  json?: unknown;
}

/** Sends a generated ingest request; asserts no 5xx and the envelope (or Slack's challenge). */
export async function sendHostileIngest({
  source,
  contentType,
  headers,
  body,
  method,
  query,
}: typeof ingestRequest extends fc.Arbitrary<infer R> ? R : never): Promise<HostileAnswer> {
  const init: RequestInit = {
    method,
    headers: { ...headers, ...(contentType && { "content-type": contentType }) },
    redirect: "manual",
  };
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") init.body = body;
  const res = await SELF.fetch(`${GATEWAY}/ingest/${source}${query}`, init);
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  if (method === "HEAD") {
    expect(text).toBe(""); // a HEAD answer has no body, whatever its status
    return { status: res.status, text };
  }
  if (method === "OPTIONS" && res.status < 300) return { status: res.status, text };
  if (res.status === 204) return { status: res.status, text };
  // A handshake echoes the sender's challenge as text, never as markup, and never a huge one.
  if (res.status === 200 && res.headers.get("content-type")?.startsWith("text/plain")) {
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(text.length).toBeLessThanOrEqual(1024);
    return { status: res.status, text };
  }
  const json = JSON.parse(text);
  const handshake =
    typeof json.challenge === "string" ||
    typeof json.response_token === "string" ||
    typeof json.encryptedToken === "string" ||
    json.type === 1;
  expect(isEnvelope(json) || (res.status === 200 && handshake)).toBe(true);
  return { status: res.status, text, json };
}

/**
 * Sends a generated admin request; asserts no 5xx, the envelope, and that a key scoped to some
 * queues never gets a 2xx for another.
 */
export async function sendHostileAdmin({
  route,
  queue,
  key,
  body,
}: typeof adminRequest extends fc.Arbitrary<infer R> ? R : never): Promise<HostileAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await SELF.fetch(`${GATEWAY}/admin${route.path.replace("{q}", queue)}`, {
    method: route.method,
    headers,
    body: route.method === "POST" ? body : undefined,
  });
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  const json = JSON.parse(text);
  expect(isEnvelope(json)).toBe(true);
  const scoped = Object.values(KEYS).find((k) => k.key === key && "queues" in k && k.queues !== "*") as
    | { queues: readonly string[] }
    | undefined;
  if (scoped && res.ok && route.path.includes("{q}")) expect(scoped.queues).toContain(queue);
  return { status: res.status, text, json };
}

/** Sends a generated queue API request; asserts no 5xx and the envelope. */
export async function sendHostileApi({
  path,
  body,
  contentType,
  key,
}: typeof apiRequest extends fc.Arbitrary<infer R> ? R : never): Promise<HostileAnswer> {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await SELF.fetch(`${GATEWAY}${path}`, { method: "POST", headers, body });
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  const json = JSON.parse(text);
  expect(isEnvelope(json)).toBe(true);
  return { status: res.status, text, json };
}
