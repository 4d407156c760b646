/**
 * Rate limits per client, never per public key: a write key (or an app's embedded gateway key)
 * is shared by every install, so one device flooding must not spend the others' budget. The
 * `segment-limited` source allows TEST_LIMITS.ip requests per minute per IP and TEST_LIMITS.user
 * per end user; /ingest/app allows 600 per minute per IP (wrangler.toml's APP_RATE_LIMIT).
 * Rate-limit state outlives reset(), so every test uses IPs and ids of its own.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load";
import { decode, drain, envelope } from "./support/api";
import { appRequest } from "./support/signing";
import { track, trackEvent, uniqueIp } from "./support/tracking";
import { TEST_LIMITS, WRITE_KEYS } from "./support/write-keys";

afterEach(() => reset());

const key = WRITE_KEYS.limited.key;

/** One device: its IP and its anonymousId. */
function device() {
  const ip = uniqueIp();
  const anonymousId = `anon-${crypto.randomUUID()}`;
  return (fields: Record<string, unknown> = {}) =>
    track("track", trackEvent({ anonymousId, ...fields }), { key, headers: { "cf-connecting-ip": ip } });
}

async function statuses(sends: (() => Promise<Response>)[]): Promise<number[]> {
  const out: number[] = [];
  for (const send of sends) out.push((await send()).status);
  return out;
}

describe("the tracking API", () => {
  it("two devices behind two IPs each get their own budget: a flood from one does not throttle the other", async () => {
    const flooder = device();
    const neighbour = device();
    const flood = await statuses(Array.from({ length: 6 }, () => () => flooder()));
    expect(flood).toEqual([200, 200, 429, 429, 429, 429]);
    expect(await statuses([() => neighbour(), () => neighbour()])).toEqual([200, 200]);
    expect((await drain("events")).length).toBe(2 * TEST_LIMITS.user);
  });

  it("a device rotating its anonymousId is still held to its IP's budget", async () => {
    const ip = uniqueIp();
    const send = () =>
      track("track", trackEvent({ anonymousId: crypto.randomUUID() }), { key, headers: { "cf-connecting-ip": ip } });
    expect(await statuses(Array.from({ length: TEST_LIMITS.ip + 2 }, () => send))).toEqual([
      ...Array(TEST_LIMITS.ip).fill(200),
      429,
      429,
    ]);
    expect((await drain("events")).length).toBe(TEST_LIMITS.ip);
  });

  it("429 is the envelope with Retry-After (Segment's clients wait that long), and nothing of it is enqueued", async () => {
    const send = device();
    await send();
    await send();
    const limited = await send();
    expect({
      status: limited.status,
      retryAfter: limited.headers.get("retry-after"),
      body: await envelope(limited),
    }).toEqual({
      status: 429,
      retryAfter: "60",
      body: { success: false, errors: [{ code: 10429, message: "Too many requests" }], messages: [], result: null },
    });
    expect((await drain("events")).length).toBe(2);
  });

  it("the body's write key (analytics.js) is limited the same way", async () => {
    const ip = uniqueIp();
    const anonymousId = crypto.randomUUID();
    const send = () =>
      track("t", JSON.stringify({ ...trackEvent({ anonymousId }), writeKey: key }), {
        key: null,
        contentType: "text/plain",
        headers: { "cf-connecting-ip": ip },
      });
    expect(await statuses([send, send, send])).toEqual([200, 200, 429]);
    await drain("events");
  });

  it("the development source is limited per IP and per user too (wrangler.toml), never per key", () => {
    expect(loadConfig(env).sources.segment?.rate_limit).toEqual({
      binding: "TRACK_RATE_LIMIT",
      by: "ip",
      user_binding: "TRACK_USER_RATE_LIMIT",
    });
  });
});

describe("/ingest/app", () => {
  it("is limited per client IP, not per key: one IP spending its 600 requests leaves another IP's budget", async () => {
    const flooder = uniqueIp();
    // Refused by the schema (422): counted against the IP, nothing enqueued.
    const flood = () => appRequest('{"not":"an event"}', { "cf-connecting-ip": flooder });
    const answers: number[] = [];
    for (let sent = 0; sent < 600; sent += 50)
      answers.push(...(await Promise.all(Array.from({ length: 50 }, flood))).map((r) => r.status));
    expect(new Set(answers)).toEqual(new Set([422]));
    expect((await flood()).status).toBe(429);
    const neighbour = await appRequest('{"event":"signup"}', { "cf-connecting-ip": uniqueIp() });
    expect(neighbour.status).toBe(202);
    expect((await drain("events")).map((m) => (decode(m) as { event: string }).event)).toEqual(["signup"]);
  });
});
