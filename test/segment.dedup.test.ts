/**
 * Deduplication on messageId, per write key, within the source's window: each event of a batch
 * is its own delivery. Through a direct queue (the Deduplicator claims them all in one call) and
 * a buffered one with four shards (one shard per write key, one transaction per request); a
 * push that fails halfway through a batch is retried by the client and delivers the rest once.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, decode, drain, envelope, type Pulled, pull } from "./support/api";
import { injectFaults } from "./support/peer";
import { track, trackEvent } from "./support/tracking";
import { WRITE_KEYS } from "./support/write-keys";

afterEach(() => reset());

type Envelope = { id: string; delivery_id: string | null; source: string; data: Record<string, unknown> };
const ids = (messages: Pulled[]) => messages.map((m) => (decode(m) as Envelope).delivery_id);
const SUCCESS = { success: true };

async function answer(res: Response) {
  return { status: res.status, body: await res.json() };
}

describe("in a direct queue", () => {
  it("a batch sent again (a client's retry) is answered 200 and enqueued once", async () => {
    const batch = { batch: [trackEvent(), trackEvent({ type: "identify" }), trackEvent()] };
    expect(await answer(await track("batch", batch))).toEqual({ status: 200, body: SUCCESS });
    expect(await answer(await track("batch", batch))).toEqual({ status: 200, body: SUCCESS });
    expect(ids(await drain("events"))).toEqual(batch.batch.map((e) => e.messageId));
  });

  it("a retry that changed only transport fields (sentAt, writeKey, _metadata, as analytics.js's retries do) is a duplicate", async () => {
    const event = trackEvent();
    await track("t", { ...event, sentAt: "2026-01-01T00:00:00.000Z" });
    const retry = await track("t", {
      ...event,
      sentAt: "2026-01-01T00:00:05.000Z",
      writeKey: WRITE_KEYS.dev.key,
      _metadata: { retryCount: 2 },
    });
    expect(await answer(retry)).toEqual({ status: 200, body: SUCCESS });
    expect(ids(await drain("events"))).toEqual([event.messageId]);
  });

  it("a batch overlapping an earlier one enqueues only the new events", async () => {
    const events = Array.from({ length: 6 }, () => trackEvent());
    await track("batch", { batch: events.slice(0, 4) });
    await track("batch", { batch: events.slice(2) });
    expect(ids(await drain("events"))).toEqual(events.map((e) => e.messageId));
  });

  it("the same messageId twice in one batch is enqueued once", async () => {
    const event = trackEvent();
    expect(
      await answer(await track("batch", { batch: [event, trackEvent({ messageId: event.messageId })] })),
    ).toMatchObject({ status: 200 });
    expect(await answer(await track("batch", { batch: [event, event] }))).toEqual({ status: 200, body: SUCCESS });
    expect(ids(await drain("events"))).toEqual([event.messageId]);
  });

  it("a messageId reused with another payload: 422 alone, reported in a batch whose other events are accepted", async () => {
    const first = trackEvent();
    await track("track", first);
    const alone = await track("track", { ...first, event: "Something Else" });
    expect({ status: alone.status, errors: (await envelope(alone)).errors }).toEqual({
      status: 422,
      errors: [{ code: 10410, message: "this messageId was already used with a different payload", path: [] }],
    });
    const fresh = trackEvent();
    const mixed = await track("batch", { batch: [fresh, { ...first, properties: { total: 99 } }] });
    expect(await answer(mixed)).toEqual({
      status: 200,
      body: {
        success: true,
        rejected: [
          {
            code: 10410,
            message: "batch.1: this messageId was already used with a different payload",
            path: ["batch", 1],
          },
        ],
      },
    });
    expect(ids(await drain("events"))).toEqual([first.messageId, fresh.messageId]);
  });

  it("is per write key: another app's event with the same messageId is its own", async () => {
    const event = trackEvent();
    await track("track", event);
    expect((await track("track", event, { key: WRITE_KEYS.other.key })).status).toBe(200);
    expect(ids(await drain("events"))).toEqual([event.messageId]);
    expect(ids(await drain("forms"))).toEqual([event.messageId]);
  });

  it("events without a messageId are not deduplicated (Segment's libraries always set one)", async () => {
    const { messageId: _, ...event } = trackEvent();
    await track("track", event);
    await track("track", event);
    expect(ids(await drain("events"))).toEqual([null, null]);
  });

  it("a push that fails halfway through a batch: 503, and the client's retry delivers every event once", async () => {
    // 150 events are two upstream pushes (100 + 50); the second is refused.
    const events = Array.from({ length: 150 }, (_, i) =>
      trackEvent(i === 120 ? { properties: { marker: "refuse-me" } } : {}),
    );
    await injectFaults([], { reject_containing: "refuse-me" });
    const failed = await track("batch", { batch: events }, { key: WRITE_KEYS.remote.key });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBeTruthy();
    await injectFaults([]);
    expect(await answer(await track("batch", { batch: events }, { key: WRITE_KEYS.remote.key }))).toEqual({
      status: 200,
      body: SUCCESS,
    });
    const received: Pulled[] = [];
    for (
      let page = await pull("remote", { batch_size: 100 });
      page.messages.length;
      page = await pull("remote", { batch_size: 100 })
    ) {
      received.push(...page.messages);
    }
    expect(ids(received).sort()).toEqual(events.map((e) => e.messageId).sort());
  });
});

describe("concurrent copies in a direct queue", () => {
  it("a copy arriving while the first is being pushed is its duplicate; the first, timed out, forgets its claims and the retry delivers once", async () => {
    const key = WRITE_KEYS.remote.key;
    const batch = { batch: [trackEvent(), trackEvent()] };
    await injectFaults([{ hang: true }]); // the first push hangs past the gateway's timeout
    const first = track("batch", batch, { key });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // One row per delivery on the healthy path, no second write to mark it done: a concurrent
    // copy is answered from the claim, and only the first sender learns that its push failed.
    expect(await answer(await track("batch", batch, { key }))).toEqual({ status: 200, body: SUCCESS });
    expect((await first).status).toBe(503); // timed out: its claims are forgotten
    expect(await answer(await track("batch", batch, { key }))).toEqual({ status: 200, body: SUCCESS });
    const { messages } = await pull("remote", { batch_size: 10 });
    expect(ids(messages).sort()).toEqual(batch.batch.map((e) => e.messageId).sort());
  });
});

describe("in a buffered queue with four shards", () => {
  /** The shards flush on their alarm (100 ms); the operator route makes it immediate. */
  async function flushed(): Promise<Pulled[]> {
    expect((await call("/admin/queues/tracking-buffered/flush", undefined, { contentType: null })).status).toBe(200);
    return drain("tracking-buffered");
  }

  it("every repeat of every event meets the shard that remembers it: sent six times, enqueued once", async () => {
    const key = WRITE_KEYS.buffered.key;
    const events = Array.from({ length: 12 }, () => trackEvent());
    const sends = [
      { batch: events.slice(0, 6) },
      { batch: events.slice(3, 9) },
      { batch: events.slice(6) },
      { batch: events },
      { batch: [...events].reverse() },
      { batch: events.slice(0, 1) },
    ];
    for (const body of sends)
      expect(await answer(await track("batch", body, { key }))).toEqual({ status: 200, body: SUCCESS });
    const received = await flushed();
    expect(ids(received).sort()).toEqual(events.map((e) => e.messageId).sort());
    expect(new Set(received.map((m) => (decode(m) as Envelope).id)).size).toBe(12);
  });

  it("a conflicting repeat is refused inside the shard's transaction; the rest of its batch is stored", async () => {
    const key = WRITE_KEYS.buffered.key;
    const event = trackEvent();
    await track("track", event, { key });
    const fresh = trackEvent();
    const res = await track("batch", { batch: [{ ...event, event: "Changed" }, fresh] }, { key });
    expect(await answer(res)).toEqual({
      status: 200,
      body: {
        success: true,
        rejected: [
          {
            code: 10410,
            message: "batch.0: this messageId was already used with a different payload",
            path: ["batch", 0],
          },
        ],
      },
    });
    expect(ids(await flushed()).sort()).toEqual([event.messageId, fresh.messageId].sort());
  });
});
