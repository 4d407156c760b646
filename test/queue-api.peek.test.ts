/**
 * Peek and purge by ref on the embedded local queue: peeking is not a delivery (nothing leased,
 * attempts as they were), and purging deletes exactly the messages whose refs are given.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ack, advanceQueueTime, decode, drain, metrics, peek, pull, purge, push, pushBatch } from "./support/api";

afterEach(() => reset());

const texts = (...bodies: string[]) => ({ messages: bodies.map((body) => ({ body, content_type: "text" })) });

describe("peek", () => {
  it("shows messages without leasing them: a pull afterwards still gets them, with attempts 1", async () => {
    await pushBatch("webhooks", { messages: [{ body: "one", content_type: "text" }, { body: { n: 2 } }] });
    const first = await peek("webhooks", { batch_size: 10 });
    expect(first.messages.map(decode)).toEqual(["one", { n: 2 }]);
    expect(first.messages.map((m) => m.attempts)).toEqual([0, 0]);
    // Peeking again shows the same messages: nothing was hidden by the first peek.
    expect((await peek("webhooks", { batch_size: 10 })).messages).toEqual(first.messages);

    const pulled = await pull("webhooks", { batch_size: 10 });
    expect(pulled.messages.map((m) => [m.id, m.attempts])).toEqual(first.messages.map((m) => [m.id, 1]));
  });

  it("carries what a pull carries, with an opaque ref where a pull has its lease", async () => {
    const before = Date.now();
    await push("webhooks", { body: { order: 1, tags: ["é"] } });
    const [message] = (await peek("webhooks")).messages;
    expect(message).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      attempts: 0,
      body: btoa(unescape(encodeURIComponent('{"order":1,"tags":["é"]}'))), // json is base64, as in pull
      metadata: { "CF-Content-Type": "json" },
      timestamp_ms: expect.any(Number),
      ref: expect.any(String),
    });
    expect(message!.timestamp_ms).toBeGreaterThanOrEqual(before - 1000);
    expect(message!.ref).not.toContain(message!.id); // not the id in disguise
  });

  it("shows what the next pull would get: in order, not leased, not delayed, 5 by default", async () => {
    await pushBatch("events", { messages: Array.from({ length: 7 }, (_, i) => ({ body: i })) });
    await push("events", { body: "later", content_type: "text", delay_seconds: 60 });
    expect((await peek("events")).messages.map(decode)).toEqual([0, 1, 2, 3, 4]);
    await pull("events", { batch_size: 2 });
    expect((await peek("events", { batch_size: 100 })).messages.map(decode)).toEqual([2, 3, 4, 5, 6]);
  });

  it("a message whose lease expired shows again with the deliveries it had", async () => {
    await push("events", { body: "slow", content_type: "text" });
    await pull("events", { visibility_timeout_ms: 30 });
    await advanceQueueTime("events", 60);
    expect((await peek("events")).messages.map((m) => [decode(m), m.attempts])).toEqual([["slow", 1]]);
    expect((await pull("events")).messages.map((m) => m.attempts)).toEqual([2]);
  });

  it("leaves out messages a pull would dead-letter instead, and moves none itself", async () => {
    // short-lived: max_retries 1, so a third delivery is never made.
    await push("short-lived", { body: "exhausted", content_type: "text" });
    for (let i = 0; i < 2; i++) {
      await pull("short-lived", { visibility_timeout_ms: 20 });
      await advanceQueueTime("short-lived", 40);
    }
    expect((await peek("short-lived")).messages).toEqual([]);
    expect((await metrics("short-lived")).backlog_count).toBe(1); // still there: peek moved nothing
    expect(await drain("dead-letters")).toEqual([]);
  });
});

describe("purge by ref", () => {
  it("deletes exactly the messages whose refs are given", async () => {
    await pushBatch("webhooks", texts("a", "b", "c", "d"));
    const peeked = (await peek("webhooks", { batch_size: 10 })).messages;
    const result = await purge("webhooks", [peeked[1]!.ref, peeked[3]!.ref]);
    expect(result).toEqual({ warnings: {} });
    expect((await drain("webhooks")).map(decode)).toEqual(["a", "c"]);
  });

  it("refs that delete nothing are warnings: repeated, another queue's, a message id, not a ref", async () => {
    await pushBatch("webhooks", texts("mine", "by id"));
    await push("events", { body: "theirs", content_type: "text" });
    const [mine, byId] = (await peek("webhooks")).messages;
    const [theirs] = (await peek("events")).messages;
    expect(await purge("webhooks", [mine!.ref])).toEqual({ warnings: {} });

    const refused = [mine!.ref, theirs!.ref, byId!.id, "not-a-ref"];
    const result = await purge("webhooks", refused);
    expect(Object.keys(result.warnings).sort()).toEqual([...refused].sort());
    expect((await drain("webhooks")).map(decode)).toEqual(["by id"]);
    expect((await drain("events")).map(decode)).toEqual(["theirs"]);
  });

  it("a ref names its queue: a dead-lettered message keeps its id, not its ref", async () => {
    // short-lived: max_retries 1, then the message moves to dead-letters with the same id.
    await push("short-lived", { body: "moved", content_type: "text" });
    const [peeked] = (await peek("short-lived")).messages;
    for (let i = 0; i < 2; i++) {
      const [leased] = (await pull("short-lived")).messages;
      await ack("short-lived", { retries: [{ lease_id: leased!.lease_id }] });
    }
    expect(Object.keys((await purge("dead-letters", [peeked!.ref])).warnings)).toEqual([peeked!.ref]);
    expect((await drain("dead-letters")).map((m) => [m.id, decode(m)])).toEqual([[peeked!.id, "moved"]]);
  });

  it("is not a delivery: a leased message goes, its lease then acks as a warning, nothing is dead-lettered", async () => {
    await push("short-lived", { body: "poison", content_type: "text" });
    const [peeked] = (await peek("short-lived")).messages;
    const [leased] = (await pull("short-lived")).messages;
    expect(await purge("short-lived", [peeked!.ref])).toEqual({ warnings: {} });

    const acked = await ack("short-lived", { acks: [{ lease_id: leased!.lease_id }] });
    expect({ ackCount: acked.ackCount, warned: Object.keys(acked.warnings) }).toEqual({
      ackCount: 0,
      warned: [leased!.lease_id],
    });
    expect(await metrics("short-lived")).toEqual({
      backlog_count: 0,
      backlog_bytes: 0,
      oldest_message_timestamp_ms: 0,
    });
    expect(await drain("dead-letters")).toEqual([]);
  });
});
