/**
 * Hostile request generators (fast-check), shared by the property tests and the resilience suite:
 * random bodies, headers, content types, encodings and methods for every ingest source, and
 * random bodies for every queue route.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { expect } from "vitest";
import { GATEWAY, queuePath } from "./api";

export const SOURCES = ["github", "stripe", "slack", "shopify", "twilio", "standard", "hmac", "app", "contact"];
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

const token = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789=,._-+/ ".split("")), maxLength: 80 });
const headerValue = fc.oneof(
  token,
  fc.constantFrom("Bearer local-dev-key", "sha256=00", "v0=00", "v1,AAAA", "t=1,v1=00", "gzip", "deflate", "br", "1700000000", "99999999999999"),
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
const body = fc.oneof(
  jsonish,
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
  method: fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "OPTIONS", "DELETE"),
});

const apiBody = fc.oneof(
  fc.json(),
  fc.string(),
  fc
    .record(
      { body: fc.jsonValue(), content_type: fc.constantFrom("json", "text", "bytes", 5), delay_seconds: fc.oneof(fc.integer(), fc.double()) },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        messages: fc.array(fc.record({ body: fc.jsonValue(), content_type: fc.constantFrom("json", "text") }), { maxLength: 120 }),
        delay_seconds: fc.integer(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record({ batch_size: fc.oneof(fc.integer(), fc.string()), visibility_timeout_ms: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] })
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
);

export const apiRequest = fc.record({
  path: fc
    .tuple(
      fc.constantFrom("", "batch", "pull", "ack") as fc.Arbitrary<"" | "batch" | "pull" | "ack">,
      fc.constantFrom("webhooks", "events", "nope", "x".repeat(70), "%00"),
    )
    .map(([action, queue]) => queuePath(queue, action)),
  body: apiBody,
  contentType: fc.constantFrom("application/json", "text/plain", ""),
  key: fc.constantFrom("local-dev-key", "bad", ""),
});

export function isEnvelope(value: unknown): boolean {
  const v = value as { success?: unknown; errors?: unknown; messages?: unknown };
  return typeof v === "object" && v !== null && typeof v.success === "boolean" && Array.isArray(v.errors) && Array.isArray(v.messages) && "result" in v;
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
}: typeof ingestRequest extends fc.Arbitrary<infer R> ? R : never): Promise<HostileAnswer> {
  const init: RequestInit = { method, headers: { ...headers, ...(contentType && { "content-type": contentType }) }, redirect: "manual" };
  if (method !== "GET" && method !== "OPTIONS") init.body = body;
  const res = await SELF.fetch(`${GATEWAY}/ingest/${source}`, init);
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  if (method === "OPTIONS" && res.status === 204) return { status: res.status, text };
  const json = JSON.parse(text);
  expect(isEnvelope(json) || (source === "slack" && typeof json.challenge === "string")).toBe(true);
  return { status: res.status, text, json };
}

/** Sends a generated queue API request; asserts no 5xx and the envelope. */
export async function sendHostileApi({ path, body, contentType, key }: typeof apiRequest extends fc.Arbitrary<infer R> ? R : never): Promise<HostileAnswer> {
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
