/**
 * Property tests (fast-check): random bodies, headers, content types and encodings thrown at
 * every example ingest source and every queue route. Never a 5xx, always the envelope, and the
 * queues hold exactly what the 2xx answers reported.
 */
import { SELF, reset } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, pull, queuePath } from "./support/api";

afterEach(() => reset());

const SOURCES = ["github", "stripe", "slack", "shopify", "twilio", "standard", "hmac", "app", "contact"];
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
  fc.array(fc.record({ event: fc.string(), properties: fc.dictionary(fc.string().filter((k) => k !== "_gotcha"), fc.jsonValue()) })).map((a) => JSON.stringify(a)),
);
const body = fc.oneof(
  jsonish,
  fc.string(),
  fc.uint8Array({ maxLength: 512 }),
  fc.dictionary(fc.string().filter((k) => k !== "_gotcha"), fc.string()).map((d) => new URLSearchParams(d).toString()),
);

const request = fc.record({
  source: fc.constantFrom(...SOURCES, "nope", "..%2f", "app/extra"),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  headers: fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 5 }),
  body,
  method: fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "OPTIONS", "DELETE"),
});

async function backlog(): Promise<number> {
  let total = 0;
  for (const queue of ["webhooks", "events", "forms"]) total += (await pull(queue, { batch_size: 1, visibility_timeout_ms: 1 })).message_backlog_count;
  return total;
}

function isEnvelope(value: unknown): boolean {
  const v = value as { success?: unknown; errors?: unknown; messages?: unknown };
  return typeof v === "object" && v !== null && typeof v.success === "boolean" && Array.isArray(v.errors) && Array.isArray(v.messages) && "result" in v;
}

describe("hostile ingest requests", () => {
  it("never 5xx, always the envelope, and only 2xx answers enqueue", async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ source, contentType, headers, body, method }) => {
        const init: RequestInit = { method, headers: { ...headers, ...(contentType && { "content-type": contentType }) }, redirect: "manual" };
        if (method !== "GET" && method !== "OPTIONS") init.body = body;
        const res = await SELF.fetch(`${GATEWAY}/ingest/${source}`, init);
        expect(res.status).toBeLessThan(500);
        if (method === "OPTIONS" && res.status === 204) return;
        const json = await res.json();
        expect(isEnvelope(json) || (source === "slack" && typeof (json as { challenge?: unknown }).challenge === "string")).toBe(true);
        if (res.status === 202) reported += (json as { result: { ids: string[] } }).result.ids.length;
      }),
      { numRuns: 400 },
    );
    expect(await backlog()).toBe(reported);
  });
});

describe("hostile queue API requests", () => {
  const actions = ["", "batch", "pull", "ack"] as const;
  const apiBody = fc.oneof(
    fc.json(),
    fc.string(),
    fc.record({ body: fc.jsonValue(), content_type: fc.constantFrom("json", "text", "bytes", 5), delay_seconds: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.record({ messages: fc.array(fc.record({ body: fc.jsonValue(), content_type: fc.constantFrom("json", "text") }), { maxLength: 120 }), delay_seconds: fc.integer() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.record({ batch_size: fc.oneof(fc.integer(), fc.string()), visibility_timeout_ms: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.record({ acks: fc.array(fc.record({ lease_id: fc.oneof(fc.string(), fc.integer()) })), retries: fc.array(fc.record({ lease_id: fc.string(), delay_seconds: fc.integer() })) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  );
  it("never 5xx and always the envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...actions),
        fc.constantFrom("webhooks", "events", "nope", "x".repeat(70), "%00"),
        apiBody,
        fc.constantFrom("application/json", "text/plain", ""),
        fc.constantFrom("local-dev-key", "bad", ""),
        async (action, queue, body, contentType, key) => {
          const headers: Record<string, string> = {};
          if (contentType) headers["content-type"] = contentType;
          if (key) headers.authorization = `Bearer ${key}`;
          const res = await SELF.fetch(`${GATEWAY}${queuePath(queue, action)}`, { method: "POST", headers, body });
          expect(res.status).toBeLessThan(500);
          expect(isEnvelope(await res.json())).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    // The Worker still serves normally afterwards.
    expect((await SELF.fetch(`${GATEWAY}${queuePath("webhooks", "pull")}`, { method: "POST", headers: { authorization: "Bearer local-dev-key", "content-type": "application/json" }, body: "{}" })).status).toBe(200);
  });
});
