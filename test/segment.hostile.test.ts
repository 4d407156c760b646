/**
 * Hostile and malformed tracking requests (fast-check) at every /v1 path: random events and
 * batches, bodies that are not JSON, compressed or not, every content type and credential in
 * every place. Never a 5xx; every refusal is the Cloudflare envelope; every acceptance is
 * Segment's answer, and only what it accepted reaches the queue. A planted value never comes back.
 */
import { reset, SELF } from "cloudflare:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { drain, GATEWAY } from "./support/api";
import { KEYS } from "./support/constants";
import { isEnvelope } from "./support/hostile";
import { basicAuth } from "./support/tracking";
import { WRITE_KEYS } from "./support/write-keys";

afterEach(() => reset());

const PLANTED = "planted-9f2c1e";
const PATHS = [
  "track",
  "identify",
  "page",
  "screen",
  "group",
  "alias",
  "batch",
  "t",
  "i",
  "p",
  "s",
  "g",
  "a",
  "b",
  "x",
  "track/extra",
];

const id = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant(null),
  fc.constant(PLANTED),
  fc.jsonValue(),
);
const time = fc.oneof(
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom("yesterday", "2026-13-45T99:99:99Z", PLANTED, ""),
  fc.integer(),
);
const event = fc.record(
  {
    type: fc.constantFrom("track", "identify", "page", "screen", "group", "alias", "bogus", PLANTED),
    event: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(PLANTED)),
    userId: id,
    anonymousId: id,
    groupId: id,
    previousId: id,
    messageId: fc.oneof(fc.constantFrom("m-1", "m-2", PLANTED), fc.string({ maxLength: 8 }), fc.integer()),
    timestamp: time,
    sentAt: time,
    properties: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    context: fc.jsonValue({ maxDepth: 2 }),
    writeKey: fc.constantFrom(WRITE_KEYS.dev.key, "nope", PLANTED),
  },
  { requiredKeys: [] },
);
/** Events that pass, mixed into batches, so acceptances (and partial batches) are exercised too. */
const valid = fc.record({
  type: fc.constant("track"),
  event: fc.string({ minLength: 1, maxLength: 10 }),
  anonymousId: fc.uuid(),
  messageId: fc.oneof(fc.uuid(), fc.constantFrom("m-1", "m-2")),
  properties: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
});
const text = fc.oneof(
  event.map((e) => JSON.stringify(e)),
  valid.map((e) => JSON.stringify(e)),
  fc.array(fc.oneof(valid, event), { minLength: 1, maxLength: 8 }).map((batch) => JSON.stringify({ batch })),
  fc
    .record(
      {
        batch: fc.oneof(fc.array(event, { maxLength: 8 }), fc.jsonValue()),
        sentAt: time,
        writeKey: fc.constantFrom(WRITE_KEYS.dev.key, PLANTED),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  fc.json(),
  fc.string({ maxLength: 200 }).map((s) => `${s}${PLANTED}`),
  fc.constant('{"a":1,"a":2}'),
);
const anyRequest = fc.record({
  path: fc.constantFrom(...PATHS),
  text,
  gzip: fc.boolean(),
  encoding: fc.constantFrom(undefined, "gzip", "deflate", "br", "__proto__"),
  contentType: fc.constantFrom(
    "application/json",
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "",
    "garbage/;;;",
  ),
  authorization: fc.constantFrom(
    undefined,
    basicAuth(WRITE_KEYS.dev.key),
    basicAuth(WRITE_KEYS.dev.key),
    basicAuth(WRITE_KEYS.other.key),
    basicAuth(KEYS.dev.key),
    basicAuth(PLANTED),
    "Basic %%%",
    `Bearer ${PLANTED}`,
  ),
  method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "OPTIONS"),
});

/** Requests a client could send, their events valid or not: acceptances and partial batches happen too. */
const plausible = fc.record({
  path: fc.constantFrom("batch", "b"),
  text: fc.array(fc.oneof(valid, event), { minLength: 1, maxLength: 8 }).map((batch) => JSON.stringify({ batch })),
  gzip: fc.boolean(),
  encoding: fc.constant(undefined),
  contentType: fc.constantFrom("application/json", "text/plain"),
  authorization: fc.constant(basicAuth(WRITE_KEYS.dev.key)),
  method: fc.constant("POST"),
});
const request = fc.oneof(anyRequest, anyRequest, plausible);

describe("hostile tracking requests", () => {
  it("never a 5xx, always the envelope or Segment's answer, never an echo", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { "cf-connecting-ip": crypto.randomUUID() };
        if (r.contentType) headers["content-type"] = r.contentType;
        if (r.authorization) headers.authorization = r.authorization;
        const encoding = r.gzip ? "gzip" : r.encoding;
        if (encoding) headers["content-encoding"] = encoding;
        const body = r.gzip ? gzipSync(r.text) : r.text;
        const init: RequestInit = { method: r.method, headers };
        if (r.method !== "GET") init.body = body;
        const res = await SELF.fetch(`${GATEWAY}/v1/${r.path}`, init);
        expect(res.status).toBeLessThan(500);
        const answer = await res.text();
        expect(answer).not.toContain(PLANTED);
        if (r.method === "OPTIONS") return;
        const json = JSON.parse(answer);
        if (res.status === 200) {
          accepted++;
          expect(json.success).toBe(true);
          expect(Object.keys(json).filter((k) => k !== "success" && k !== "rejected")).toEqual([]);
        } else expect(isEnvelope(json)).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(0);
    // What was accepted is in the queue, each as an envelope of a valid event; the rest left nothing.
    for (const message of await drain("events")) {
      const envelope = JSON.parse(
        new TextDecoder().decode(Uint8Array.from(atob(message.body), (c) => c.charCodeAt(0))),
      );
      expect(envelope).toMatchObject({ source: "segment" });
      expect(["track", "identify", "page", "screen", "group", "alias"]).toContain(envelope.type);
    }
  });
});
