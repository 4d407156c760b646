/**
 * Direct-first delivery (the default for binding upstreams): the request's messages go to the
 * queue before the answer, and only when the queue refuses are they spilled into a buffer shard
 * that drains them later. Deduplication is one mechanism on every path (the buffer shard's
 * delivery rows), and a healthy path costs at most one Durable Object call and one row written
 * per delivery, none without deduplication: counted from SqlStorageCursor.rowsWritten.
 */
import { env, reset, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { shardStub } from "../src/buffer/shards";
import { call, decode, drain, envelope, GATEWAY, type Pulled, pull, sleep } from "./support/api";
import { injectFaults } from "./support/peer";

afterEach(() => reset());

interface BufferState {
  shards: number;
  pending_messages: number;
  flushed_messages: number;
  requests: number;
  rows_written: number;
  commits: number;
  committed_calls: number;
}

async function bufferOf(queue: string): Promise<BufferState> {
  const res = await call("/admin/queues", undefined, { method: "GET", contentType: null });
  const queues = (await envelope<{ name: string; buffer: BufferState }[]>(res)).result;
  return queues.find((q) => q.name === queue)!.buffer;
}

const post = (source: string, body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch(`${GATEWAY}/ingest/${source}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer local-dev-key", ...headers },
    body: JSON.stringify(body),
  });

/** Pulls until `count` messages arrived (binding deliveries are asynchronous) or a deadline passes. */
async function arrived(queue: string, count: number): Promise<Pulled[]> {
  const seen: Pulled[] = [];
  for (let i = 0; i < 100 && seen.length < count; i++) {
    seen.push(...(await drain(queue)));
    if (seen.length < count) await sleep(50);
  }
  return seen;
}

describe("direct-first through a producer binding (healthy)", () => {
  it("without deduplication: delivered before the answer, no Durable Object call, no row written", async () => {
    for (let i = 0; i < 5; i++) expect((await post("first-bound", [{ n: i }])).status).toBe(202);
    expect((await arrived("first-bound", 5)).map((m) => (decode(m) as { data: { n: number } }).data.n).sort()).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(await bufferOf("first-bound")).toMatchObject({ requests: 0, rows_written: 0, pending_messages: 0 });
  });

  it("with deduplication: one call and one row per delivery; a repeat is a duplicate and is not sent again", async () => {
    for (let i = 0; i < 4; i++)
      expect((await post("first-bound-dedup", [{ n: i }], { "idempotency-key": `k-${i}` })).status).toBe(202);
    const again = await post("first-bound-dedup", [{ n: 0 }], { "idempotency-key": "k-0" });
    expect({
      status: again.status,
      duplicate: (await envelope<{ duplicate?: boolean }>(again)).result.duplicate,
    }).toEqual({ status: 200, duplicate: true });
    expect(await arrived("first-bound", 4)).toHaveLength(4);
    expect(await drain("first-bound")).toEqual([]);
    expect(await bufferOf("first-bound")).toMatchObject({ requests: 5, rows_written: 4, pending_messages: 0 });
  });
});

describe("direct-first when the queue refuses", () => {
  it("a missing binding: the messages are spilled into the buffer and the sender gets 202", async () => {
    const res = await post("first-unbound", [{ n: 1 }, { n: 2 }], { "idempotency-key": "spill-1" });
    expect(res.status).toBe(202);
    expect(await bufferOf("first-unbound")).toMatchObject({ pending_messages: 2 });
    const again = await post("first-unbound", [{ n: 1 }, { n: 2 }], { "idempotency-key": "spill-1" });
    expect(again.status).toBe(200); // the claim holds whichever path the messages took
    expect(await bufferOf("first-unbound")).toMatchObject({ pending_messages: 2 });
  });

  it("an upstream failing 500 then recovering: spilled, drained by the shard, delivered exactly once", async () => {
    await injectFaults([{ status: 500 }]);
    expect((await post("spilling", [{ n: 1 }, { n: 2 }, { n: 3 }], { "idempotency-key": "s-1" })).status).toBe(202);
    const before = await bufferOf("spilling");
    expect(before.pending_messages).toBe(3);
    await call("/admin/queues/spilling/flush", undefined, { contentType: null });
    const { messages } = await pull("spilling", { batch_size: 10 });
    expect(messages.map((m) => (decode(m) as { data: { n: number } }).data.n).sort()).toEqual([1, 2, 3]);
    expect((await post("spilling", [{ n: 1 }, { n: 2 }, { n: 3 }], { "idempotency-key": "s-1" })).status).toBe(200);
    expect((await bufferOf("spilling")).pending_messages).toBe(0);
  });

  it("a push refused for rate (429) is spilled too, and drains once the queue takes it", async () => {
    await injectFaults([{ status: 429, retry_after: 1 }]);
    const first = await post("spilling", [{ n: 7 }], { "idempotency-key": "r-1" });
    expect(first.status).toBe(202); // spilled: the buffer took it
    await call("/admin/queues/spilling/flush", undefined, { contentType: null });
    expect((await pull("spilling", { batch_size: 10 })).messages).toHaveLength(1);
  });
});

describe("group commit in the buffer shard", () => {
  it("hundreds of concurrent enqueues share commits; each gets its own answer, repeats and refusals included", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `g-${i}`);
    const sends = [...ids, ...ids, ...ids].map((id, i) =>
      SELF.fetch(`${GATEWAY}/ingest/buffered-app`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer local-dev-key", "idempotency-key": id },
        // A third of the copies carry another payload: conflicts, answered 422 each.
        body: JSON.stringify([{ event: id, copy: i >= 200 ? "other" : "same" }]),
      }),
    );
    const statuses = (await Promise.all(sends)).map((r) => r.status);
    const count = (status: number) => statuses.filter((s) => s === status).length;
    expect({
      accepted: count(202),
      duplicates: count(200),
      conflicts: count(422),
      other: statuses.length - count(202) - count(200) - count(422),
    }).toEqual({
      accepted: 100,
      duplicates: 100,
      conflicts: 100,
      other: 0,
    });
    const state = await bufferOf("buffered");
    expect(state.committed_calls).toBe(300);
    expect(state.commits).toBeLessThan(300);
    await call("/admin/queues/buffered/flush", undefined, { contentType: null });
    expect((await drain("buffered")).map((m) => (decode(m) as { data: { event: string } }).data.event).sort()).toEqual(
      [...ids].sort(),
    );
  });
});

describe("rows written per buffered message (SqlStorageCursor.rowsWritten)", () => {
  async function rowsPerMessage(headers: (i: number) => Record<string, string>): Promise<number> {
    const sends = Array.from({ length: 200 }, (_, i) =>
      SELF.fetch(`${GATEWAY}/ingest/buffered-app`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer local-dev-key", ...headers(i) },
        body: JSON.stringify([{ event: `e-${i}` }]),
      }),
    );
    expect((await Promise.all(sends)).every((r) => r.status === 202)).toBe(true);
    await call("/admin/queues/buffered/flush", undefined, { contentType: null });
    expect(await drain("buffered")).toHaveLength(200);
    // Accepted, stored, flushed and deleted: the whole life of each message.
    return (await bufferOf("buffered")).rows_written / 200;
  }

  it("with a delivery id each: at most 1.5 (one delivery row each; messages share rows by commit)", async () => {
    expect(await rowsPerMessage((i) => ({ "idempotency-key": `id-${i}` }))).toBeLessThanOrEqual(1.5);
  });

  it("without deduplication: well under one", async () => {
    expect(await rowsPerMessage(() => ({}))).toBeLessThan(0.5);
  });

  it("one call at a time (no two share a commit): each commit adds its message to the last row", async () => {
    // "buffered-pair" waits 60 s before a partial batch moves, so only the flushes below push.
    const shard = shardStub(env, "buffered-pair", 0);
    const enqueue = (id: string) =>
      shard.enqueue("buffered-pair", [{ messages: [{ id, message: { body: id, content_type: "text" } }] }]);
    const flush = () => call("/admin/queues/buffered-pair/flush", undefined, { contentType: null });
    // Once, so the shard's own bookkeeping (its queue, the flush counters) exists already.
    await enqueue("warm");
    await flush();
    const before = (await shard.stats()).rows_written;
    for (let i = 0; i < 25; i++) await enqueue(`one-${i}`);
    await flush();
    expect(await drain("buffered-pair")).toHaveLength(26);
    // One row started and rewritten 24 times, deleted once after the push, and the flush's two
    // counters: 28 rows for 25 messages. A row per commit writes 52 (each stored, each deleted).
    expect((await shard.stats()).rows_written - before).toBe(28);
  });
});
