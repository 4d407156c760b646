/**
 * The durable batch buffer, against real Durable Objects: thresholds, the max-wait alarm, delays,
 * upstream failures with backoff, poison isolation into dead letters, restarts, backpressure,
 * direct mode, and the operator routes.
 */
import { abortAllDurableObjects, env, reset, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { splitBatches } from "../src/buffer/batches";
import type { BufferShard } from "../src/buffer/shard";
import { shardStub } from "../src/buffer/shards";
import { advanceQueueTime, call, decode, drain, envelope, GATEWAY, pull, pushBatch, queuePath } from "./support/api";
import { injectFaults } from "./support/peer";
import { ingest } from "./support/signing";

afterEach(() => reset());

interface BufferState {
  shards: number;
  pending_messages: number;
  pending_bytes: number;
  oldest_pending_ms: number;
  flushes: number;
  flushed_messages: number;
  failed_flushes: number;
  dead_letters: number;
}

async function admin<T>(path: string, body?: unknown): Promise<T> {
  const res = await SELF.fetch(`${GATEWAY}/admin${path}`, {
    method: body === undefined && !path.endsWith("/flush") ? "GET" : "POST",
    headers: { authorization: "Bearer local-dev-key", "content-type": "application/json" },
    body: body === undefined ? (path.endsWith("/flush") ? "{}" : undefined) : JSON.stringify(body),
  });
  const json = await envelope<T>(res);
  if (res.status !== 200) throw new Error(`admin ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.result;
}

async function bufferOf(queue: string): Promise<BufferState> {
  const queues = await admin<{ name: string; buffer: BufferState }[]>("/queues");
  return queues.find((q) => q.name === queue)!.buffer;
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({ body, content_type: "text", ...extra });
const many = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => text(`${prefix}${i}`));
const alarmOf = (queue: string, shard = 0) =>
  runInDurableObject(shardStub(env, queue, shard), (_i, state) => state.storage.getAlarm());
const runAlarm = (queue: string, shard = 0) => runDurableObjectAlarm(shardStub(env, queue, shard));
/** Moves a shard's time past its max_wait_ms (200 ms here) instead of sleeping: the shard reads an injected clock. */
const advance = (queue: string, ms: number, shard = 0) =>
  runInDurableObject(shardStub(env, queue, shard), (instance: BufferShard) => {
    instance.clock.advance(ms);
  });

describe("flush thresholds", () => {
  it("100 small messages are pushed as one batch, at once", async () => {
    await pushBatch("buffered-one", { messages: many(100) });
    expect(await bufferOf("buffered-one")).toMatchObject({ pending_messages: 100 });
    expect((await pull("buffered-one", {})).message_backlog_count).toBe(0); // not yet upstream
    expect(await alarmOf("buffered-one")).toBeLessThanOrEqual(Date.now());
    await runAlarm("buffered-one");
    expect(await bufferOf("buffered-one")).toMatchObject({ pending_messages: 0, flushes: 1, flushed_messages: 100 });
    expect((await drain("buffered-one")).map(decode)).toEqual(many(100).map((m) => m.body));
  });

  it("messages near 128 KB are split by bytes: 256,000 bytes per push at most", async () => {
    const big = (c: string) => text(c.repeat(127_900));
    await pushBatch("buffered-one", { messages: [big("a"), big("b")] });
    await pushBatch("buffered-one", { messages: [big("c")] });
    await runAlarm("buffered-one");
    expect(await bufferOf("buffered-one")).toMatchObject({ flushes: 1, flushed_messages: 2, pending_messages: 1 });
    await advance("buffered-one", 250);
    await runAlarm("buffered-one");
    expect(await bufferOf("buffered-one")).toMatchObject({ flushes: 2, flushed_messages: 3, pending_messages: 0 });
  });

  it("the alarm flushes a partial batch once the oldest message has waited max_wait_ms", async () => {
    await pushBatch("buffered-one", { messages: many(3) });
    const scheduled = await alarmOf("buffered-one");
    expect(scheduled).toBeGreaterThan(Date.now());
    await runAlarm("buffered-one"); // too early: nothing leaves
    expect(await bufferOf("buffered-one")).toMatchObject({ pending_messages: 3, flushes: 0 });
    await advance("buffered-one", 250);
    await runAlarm("buffered-one");
    expect(await bufferOf("buffered-one")).toMatchObject({ pending_messages: 0, flushes: 1, flushed_messages: 3 });
  });

  it("keeps each message's delay", async () => {
    await pushBatch("buffered-one", { messages: [text("later", { delay_seconds: 1 }), text("now")] });
    await admin("/queues/buffered-one/flush");
    expect((await pull("buffered-one", { batch_size: 10 })).messages.map(decode)).toEqual(["now"]);
    await advanceQueueTime("buffered-one", 1100);
    expect((await pull("buffered-one", { batch_size: 10 })).messages.map(decode)).toEqual(["later"]);
  });
});

describe("full batches at low load, whatever the shard count", () => {
  // "buffered-pair" has 2 shards and max_wait_ms 60 s: shard 1 hands its tail over at 30 s.
  const enqueueOn = (shard: number, prefix: string, n: number) =>
    shardStub(env, "buffered-pair", shard).enqueue(
      "buffered-pair",
      many(n, prefix).map((m, i) => ({ messages: [{ id: `${prefix}-${i}`, message: m as never }] })),
    );

  it("each shard's partial batch is pushed together with the others', as one push, within max_wait_ms", async () => {
    await enqueueOn(0, "a", 30);
    await enqueueOn(1, "b", 40);
    await runAlarm("buffered-pair", 1); // too early for a hand-over: nothing moves
    expect(await bufferOf("buffered-pair")).toMatchObject({ pending_messages: 70, hand_overs: 0 });
    await advance("buffered-pair", 31_000, 1);
    await runAlarm("buffered-pair", 1);
    expect(await bufferOf("buffered-pair")).toMatchObject({ pending_messages: 70, hand_overs: 1, flushes: 0 });
    const collectorAlarm = (await alarmOf("buffered-pair", 0))!;
    expect(collectorAlarm - Date.now()).toBeLessThanOrEqual(60_000); // by the oldest message's max_wait_ms
    await advance("buffered-pair", 61_000, 0);
    await runAlarm("buffered-pair", 0);
    expect(await bufferOf("buffered-pair")).toMatchObject({ pending_messages: 0, flushes: 1, flushed_messages: 70 });
    expect((await drain("buffered-pair")).map(decode).sort()).toEqual(
      [...many(30, "a"), ...many(40, "b")].map((m) => m.body).sort(),
    );
  });

  it("a hand-over keeps the arrival time: the collector pushes an older tail by its own deadline", async () => {
    await enqueueOn(1, "old", 5);
    await advance("buffered-pair", 40_000, 1);
    await runAlarm("buffered-pair", 1);
    // Each shard reads its own clock: the collector's moves as far, then takes newer messages of its own.
    await advance("buffered-pair", 40_000, 0);
    await enqueueOn(0, "new", 5);
    const due = (await alarmOf("buffered-pair", 0))! - Date.now();
    expect(due).toBeLessThanOrEqual(60_000); // the adopted tail's deadline, not the new messages' (100 s away)
    await advance("buffered-pair", 21_000, 0);
    await runAlarm("buffered-pair", 0);
    expect(await bufferOf("buffered-pair")).toMatchObject({ pending_messages: 0, flushes: 1, flushed_messages: 10 });
  });

  it("a delayed message never joins an older row: its delay counts from its own arrival", async () => {
    const enqueue = (id: string, message: ReturnType<typeof text>) =>
      shardStub(env, "buffered-pair", 0).enqueue("buffered-pair", [{ messages: [{ id, message: message as never }] }]);
    await enqueue("p-1", text("first"));
    await advance("buffered-pair", 30_000, 0);
    await enqueue("d-1", text("later", { delay_seconds: 40 }));
    await admin("/queues/buffered-pair/flush");
    expect((await drain("buffered-pair")).map(decode)).toEqual(["first"]);
    await advanceQueueTime("buffered-pair", 15_000); // past 40 s counted from the first message's arrival
    expect(await drain("buffered-pair")).toEqual([]);
    await advanceQueueTime("buffered-pair", 30_000);
    expect((await drain("buffered-pair")).map(decode)).toEqual(["later"]);
  });

  it("a handed-over message keeps its delay", async () => {
    await shardStub(env, "buffered-pair", 1).enqueue("buffered-pair", [
      { messages: [{ id: "d-1", message: text("later", { delay_seconds: 1 }) as never }] },
      { messages: [{ id: "d-2", message: text("now") as never }] },
    ]);
    await advance("buffered-pair", 31_000, 1);
    await runAlarm("buffered-pair", 1);
    expect(await bufferOf("buffered-pair")).toMatchObject({ hand_overs: 1, pending_messages: 2 });
    await admin("/queues/buffered-pair/flush");
    expect((await pull("buffered-pair", { batch_size: 10 })).messages.map(decode)).toEqual(["now"]);
    await advanceQueueTime("buffered-pair", 1100);
    expect((await pull("buffered-pair", { batch_size: 10 })).messages.map(decode)).toEqual(["later"]);
  });

  it("a collector that cannot push refuses the tail; the shard pushes its own by max_wait_ms", async () => {
    // "spilling": 2 shards on the REST upstream. The collector's push fails once and it backs off.
    await injectFaults([{ status: 500 }]);
    const onShard = (shard: number, id: string) =>
      shardStub(env, "spilling", shard).enqueue("spilling", [{ messages: [{ id, message: text(id) as never }] }]);
    await onShard(0, "c-1");
    await admin("/queues/spilling/flush");
    expect(await bufferOf("spilling")).toMatchObject({ failed_flushes: 1, pending_messages: 1 });
    await onShard(1, "t-1");
    await advance("spilling", 120, 1);
    await runAlarm("spilling", 1); // hand-over refused
    expect(await bufferOf("spilling")).toMatchObject({ pending_messages: 2, hand_overs: 0, flushes: 0 });
    await advance("spilling", 100, 1);
    await runAlarm("spilling", 1); // max_wait_ms: the shard pushes its own
    expect(await bufferOf("spilling")).toMatchObject({ pending_messages: 1, flushes: 1, flushed_messages: 1 });
  });
});

describe("a commit that cannot start", () => {
  it("answers every waiting caller with the error instead of leaving them waiting", async () => {
    let error: unknown;
    try {
      await shardStub(env, "buffered", 0).enqueue("no-such-queue", [
        { messages: [{ id: "x-1", message: text("x") as never }] },
      ]);
    } catch (err) {
      error = err;
    }
    expect(String(error)).toMatch(/does not exist/);
  });
});

describe("upstream failures", () => {
  beforeEach(async () => {
    await injectFaults();
    await drain("buffered-remote");
  });

  it("429, 500 and a timeout keep the messages; backoff grows and honours Retry-After; all arrive after recovery", async () => {
    await injectFaults([{ status: 429, retry_after: 7 }, { status: 500 }, { hang: true }]);
    await pushBatch("buffered-remote", { messages: many(10, "r") });
    await admin("/queues/buffered-remote/flush"); // 429
    const afterRateLimit = (await alarmOf("buffered-remote"))! - Date.now();
    expect(afterRateLimit).toBeGreaterThan(6_000);
    await advance("buffered-remote", 250); // the batch is due (max_wait_ms), so early alarm runs push it
    await runAlarm("buffered-remote"); // 500
    const second = (await alarmOf("buffered-remote"))! - Date.now();
    await runAlarm("buffered-remote"); // timeout
    const third = (await alarmOf("buffered-remote"))! - Date.now();
    expect(second).toBeGreaterThan(400);
    expect(third).toBeGreaterThan(second);
    expect(await bufferOf("buffered-remote")).toMatchObject({ pending_messages: 10, failed_flushes: 3, flushes: 0 });
    await runAlarm("buffered-remote"); // recovered
    expect(await bufferOf("buffered-remote")).toMatchObject({ pending_messages: 0, flushes: 1, flushed_messages: 10 });
    expect((await drain("buffered-remote")).map(decode).sort()).toEqual(
      many(10, "r")
        .map((m) => m.body)
        .sort(),
    );
  });

  it("a poison message is isolated into dead letters while the rest flow; it can be replayed or deleted", async () => {
    await injectFaults([], { reject_containing: "POISON" });
    const messages = many(10, "ok");
    messages[4] = text("POISON pill");
    await pushBatch("buffered-remote", { messages });
    await admin("/queues/buffered-remote/flush");
    expect(await bufferOf("buffered-remote")).toMatchObject({
      pending_messages: 0,
      flushed_messages: 9,
      dead_letters: 1,
    });
    expect((await drain("buffered-remote")).map(decode).sort()).toEqual(
      messages
        .filter((_, i) => i !== 4)
        .map((m) => m.body)
        .sort(),
    );

    const dead = await admin<{ id: string; error: string; body: string }[]>("/queues/buffered-remote/dead-letters");
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ body: "POISON pill" });
    expect(dead[0]!.error).toContain("message too large");

    await injectFaults(); // the upstream would take it now
    expect(await admin("/queues/buffered-remote/dead-letters/replay", {})).toEqual({ count: 1 });
    await admin("/queues/buffered-remote/flush");
    expect((await drain("buffered-remote")).map(decode)).toEqual(["POISON pill"]);

    await injectFaults([], { reject_containing: "POISON" });
    await pushBatch("buffered-remote", { messages: [text("POISON again")] });
    await admin("/queues/buffered-remote/flush");
    const [again] = await admin<{ id: string }[]>("/queues/buffered-remote/dead-letters");
    expect(await admin("/queues/buffered-remote/dead-letters/delete", { ids: [again!.id] })).toEqual({ count: 1 });
    expect((await bufferOf("buffered-remote")).dead_letters).toBe(0);
  });
});

describe("durability", () => {
  it("messages pending in an aborted buffer object are still flushed after it restarts", async () => {
    await pushBatch("buffered-one", { messages: many(5, "d") });
    await abortAllDurableObjects();
    expect(await bufferOf("buffered-one")).toMatchObject({ pending_messages: 5 });
    await advance("buffered-one", 250);
    await runAlarm("buffered-one");
    expect((await drain("buffered-one")).map(decode)).toEqual(many(5, "d").map((m) => m.body));
  });
});

describe("backpressure", () => {
  it("past the pending cap, pushes and ingest answer 503 with Retry-After and take nothing", async () => {
    await pushBatch("small-buffer", { messages: many(5) });
    const refused = await call(queuePath("small-buffer", ""), text("one too many"));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const ingested = await ingest("small-buffer", '{"a":1}', { "content-type": "application/json" });
    expect(ingested.status).toBe(503);
    expect(ingested.headers.get("retry-after")).not.toBeNull();
    expect(await bufferOf("small-buffer")).toMatchObject({ pending_messages: 5 });
  });

  it("a delivery refused for backpressure is not remembered: once there is room, its retry is taken as new", async () => {
    await pushBatch("small-buffer", { messages: many(5) });
    const send = () =>
      ingest("small-buffer", '{"order":7}', { "content-type": "application/json", "idempotency-key": "order-7" });
    expect((await send()).status).toBe(503);
    await admin("/queues/small-buffer/flush");
    await drain("small-buffer");
    const retried = await send();
    expect(retried.status).toBe(202);
    expect((await send()).status).toBe(200);
    await admin("/queues/small-buffer/flush");
    const delivered = (await drain("small-buffer")).map((m) => (decode(m) as { data: unknown }).data);
    expect(delivered).toEqual([{ order: 7 }]);
  });
});

describe("direct mode", () => {
  it("pushes before answering", async () => {
    await pushBatch("webhooks", { messages: many(3) });
    expect((await pull("webhooks", { batch_size: 10 })).messages).toHaveLength(3);
    expect((await bufferOf("webhooks")).flushes).toBe(0);
  });

  it("splits into batches of at most 100 messages and 256,000 bytes", () => {
    const small = Array.from({ length: 250 }, (_, i) => ({ body: `s${i}`, content_type: "text" as const }));
    expect(splitBatches(small).map((b) => b.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 5 }, () => ({ body: "x".repeat(100_000), content_type: "text" as const }));
    expect(splitBatches(big).map((b) => b.length)).toEqual([2, 2, 1]);
    const edge = Array.from({ length: 3 }, () => ({ body: "x".repeat(127_900), content_type: "text" as const }));
    expect(splitBatches(edge).map((b) => b.length)).toEqual([2, 1]);
  });
});

describe("end to end", () => {
  it("N messages in through ingest come out as N distinct ids, in full batches", async () => {
    const N = 1000;
    const sent: string[] = [];
    for (let r = 0; r < N / 50; r++) {
      const events = Array.from({ length: 50 }, (_, i) => ({ event: `e${r * 50 + i}` }));
      const res = await ingest("buffered-app", JSON.stringify(events), {
        "content-type": "application/json",
        authorization: "Bearer local-dev-key",
      });
      expect(res.status).toBe(202);
      sent.push(...(await envelope<{ ids: string[] }>(res)).result.ids);
    }
    await admin("/queues/buffered/flush");
    const received = (await drain("buffered")).map((m) => (decode(m) as { id: string }).id);
    expect(received.length).toBe(N);
    expect(new Set(received)).toEqual(new Set(sent));
    const state = await bufferOf("buffered");
    expect(state.flushed_messages).toBe(N);
    expect(state.flushed_messages / state.flushes).toBeGreaterThanOrEqual(90);
  });
});

describe("deduplication in buffered queues", () => {
  it("a repeated delivery meets the same shard and is stored once, in the same transaction", async () => {
    const send = () =>
      ingest("buffered-app", '[{"event":"a"},{"event":"b"}]', {
        "content-type": "application/json",
        authorization: "Bearer local-dev-key",
        "idempotency-key": "same-batch",
      });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([202, 200]);
    const ids = (await envelope<{ ids: string[] }>(first)).result.ids;
    expect((await envelope(again)).result).toEqual({ ids, duplicate: true });
    await admin("/queues/buffered/flush");
    expect((await drain("buffered")).map((m) => (decode(m) as { id: string }).id)).toEqual(ids);
  });
});

describe("concurrent requests", () => {
  it("concurrent requests each get their own answer; a repeated delivery among them is still a duplicate", async () => {
    const send = (key: string) =>
      ingest("buffered-app", `[{"event":"${key}"}]`, {
        "content-type": "application/json",
        authorization: "Bearer local-dev-key",
        "idempotency-key": key,
      });
    const keys = [...Array.from({ length: 20 }, (_, i) => `k${i}`), "k3"];
    const answers = await Promise.all(keys.map(send));
    const bodies = await Promise.all(answers.map((r) => envelope<{ ids: string[]; duplicate?: boolean }>(r)));
    expect(answers.filter((r) => r.status === 202)).toHaveLength(20);
    expect(bodies.filter((b) => b.result.duplicate)).toHaveLength(1);
    const k3 = bodies.filter((_, i) => keys[i] === "k3").map((b) => b.result.ids);
    expect(k3[0]).toEqual(k3[1]);
    await admin("/queues/buffered/flush");
    const events = (await drain("buffered")).map((m) => (decode(m) as { data: { event: string } }).data.event);
    expect(events.sort()).toEqual(keys.slice(0, 20).sort());
  });
});

describe("operator routes", () => {
  it("need the admin scope", async () => {
    const res = await SELF.fetch(`${GATEWAY}/admin/queues`, { headers: { authorization: "Bearer push-only-key" } });
    expect(res.status).toBe(403);
    expect((await SELF.fetch(`${GATEWAY}/admin/queues`)).status).toBe(401);
    // Authentication comes before the body is looked at.
    const unauthenticated = await SELF.fetch(`${GATEWAY}/admin/queues/buffered/dead-letters/replay`, {
      method: "POST",
      body: "{broken",
    });
    expect(unauthenticated.status).toBe(401);
  });

  it("list every queue with its upstream, mode and buffer state", async () => {
    const queues = await admin<{ name: string; upstream: string; mode: string; buffer: BufferState }[]>("/queues");
    expect(queues.find((q) => q.name === "buffered")).toEqual({
      name: "buffered",
      upstream: "local",
      mode: "buffered",
      buffer: {
        shards: 2,
        pending_messages: 0,
        pending_bytes: 0,
        oldest_pending_ms: 0,
        flushes: 0,
        flushed_messages: 0,
        failed_flushes: 0,
        requests: 0,
        rows_written: 0,
        commits: 0,
        committed_calls: 0,
        hand_overs: 0,
        dead_letters: 0,
        backoff_until: 0,
      },
    });
  });
});
