/**
 * The embedded local queue through the compatible routes: Cloudflare's pull-consumer semantics.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ack, advanceQueueTime, call, decode, drain, envelope, pull, push, pushBatch, queuePath } from "./support/api";

afterEach(() => reset());

describe("push and pull", () => {
  it("delivers text and json messages with ids, attempts, timestamps and content-type metadata", async () => {
    const before = Date.now();
    await push("webhooks", { body: "hello", content_type: "text" });
    await push("webhooks", { body: { order: 1, tags: ["a", "é"] }, content_type: "json" });
    await push("webhooks", { body: [1, 2, 3] }); // content_type defaults to json

    const { messages, message_backlog_count } = await pull("webhooks", { batch_size: 10 });
    expect(message_backlog_count).toBe(3);
    expect(messages.map(decode)).toEqual(["hello", { order: 1, tags: ["a", "é"] }, [1, 2, 3]]);
    expect(messages.map((m) => m.metadata)).toEqual([
      { "CF-Content-Type": "text" },
      { "CF-Content-Type": "json" },
      { "CF-Content-Type": "json" },
    ]);
    // json bodies travel base64-encoded, as on Cloudflare.
    expect(messages[1]?.body).toBe(btoa(unescape(encodeURIComponent('{"order":1,"tags":["a","é"]}'))));
    for (const m of messages) {
      expect(m.id).toMatch(/^[0-9a-f]{32}$/);
      expect(m.attempts).toBe(1);
      expect(m.timestamp_ms).toBeGreaterThanOrEqual(before - 1000);
      expect(m.lease_id.length).toBeGreaterThanOrEqual(32);
    }
    expect(new Set(messages.map((m) => m.id)).size).toBe(3);
  });

  it("defaults batch_size to 5 and an empty queue answers at once with no messages", async () => {
    await pushBatch("events", { messages: Array.from({ length: 7 }, (_, i) => ({ body: i })) });
    expect((await pull("events", {})).messages).toHaveLength(5);
    expect((await pull("events", {})).messages).toHaveLength(2);
    const empty = await pull("events", {});
    expect(empty.messages).toEqual([]);
    expect(empty.message_backlog_count).toBe(7); // leased messages are still in the backlog
  });

  it("reports backlog metrics in push and pull results", async () => {
    const first = await push("forms", { body: "abc", content_type: "text" });
    expect(first.metadata.metrics).toMatchObject({ backlog_count: 1, backlog_bytes: 103 });
    const second = await pushBatch("forms", { messages: [{ body: { a: 1 } }, { body: "xy", content_type: "text" }] });
    expect(second.metadata.metrics.backlog_count).toBe(3);
    expect(second.metadata.metrics.backlog_bytes).toBe(103 + 107 + 102);
    expect(second.metadata.metrics.oldest_message_timestamp_ms).toBe(
      first.metadata.metrics.oldest_message_timestamp_ms,
    );
    const pulled = await pull("forms", { batch_size: 100 });
    await ack("forms", { acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })) });
    const after = await pull("forms", {});
    expect(after.metadata.metrics).toEqual({ backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 });
  });

  it("keeps messages across requests and separate per queue", async () => {
    await push("webhooks", { body: "w", content_type: "text" });
    await push("events", { body: "e", content_type: "text" });
    expect((await drain("webhooks")).map(decode)).toEqual(["w"]);
    expect((await drain("events")).map(decode)).toEqual(["e"]);
  });
});

describe("acks, retries and leases", () => {
  it("ack deletes; unknown and repeated leases come back as warnings, not errors", async () => {
    await pushBatch("webhooks", { messages: [{ body: 1 }, { body: 2 }] });
    const { messages } = await pull("webhooks", { batch_size: 10 });
    const [a, b] = messages;
    const result = await ack("webhooks", { acks: [{ lease_id: a!.lease_id }, { lease_id: "no-such-lease" }] });
    expect(result.ackCount).toBe(1);
    expect(result.retryCount).toBe(0);
    expect(Object.keys(result.warnings)).toEqual(["no-such-lease"]);
    const again = await ack("webhooks", { acks: [{ lease_id: a!.lease_id }, { lease_id: b!.lease_id }] });
    expect(again.ackCount).toBe(1);
    expect(Object.keys(again.warnings)).toEqual([a!.lease_id]);
    expect((await pull("webhooks", {})).message_backlog_count).toBe(0);
  });

  it("retry makes a message visible again, after its delay", async () => {
    await push("webhooks", { body: "again", content_type: "text" });
    const first = (await pull("webhooks", {})).messages[0]!;
    expect((await ack("webhooks", { retries: [{ lease_id: first.lease_id, delay_seconds: 1 }] })).retryCount).toBe(1);
    expect((await pull("webhooks", {})).messages).toEqual([]); // delayed
    await advanceQueueTime("webhooks", 1100);
    const second = (await pull("webhooks", {})).messages[0]!;
    expect(second.id).toBe(first.id);
    expect(second.attempts).toBe(2);
    expect(second.lease_id).not.toBe(first.lease_id);
  });

  it("an expired lease redelivers the message with attempts + 1, and a late ack still counts", async () => {
    await push("events", { body: "slow consumer", content_type: "text" });
    const first = (await pull("events", { visibility_timeout_ms: 50 })).messages[0]!;
    expect((await pull("events", {})).messages).toEqual([]); // leased: invisible
    await advanceQueueTime("events", 80);
    // Not re-leased yet: the late ack of the expired lease is accepted.
    expect((await ack("events", { acks: [{ lease_id: first.lease_id }] })).ackCount).toBe(1);
    expect((await pull("events", {})).message_backlog_count).toBe(0);

    await push("events", { body: "dropped lease", content_type: "text" });
    const leased = (await pull("events", { visibility_timeout_ms: 50 })).messages[0]!;
    await advanceQueueTime("events", 80);
    const redelivered = (await pull("events", {})).messages[0]!;
    expect(redelivered).toMatchObject({ id: leased.id, attempts: 2, body: "dropped lease" });
    // The first lease is superseded: acking it is only a warning.
    expect(Object.keys((await ack("events", { acks: [{ lease_id: leased.lease_id }] })).warnings)).toEqual([
      leased.lease_id,
    ]);
  });

  it("after max_retries the message moves to the dead-letter queue with its id", async () => {
    // short-lived: max_retries 1 (two deliveries), dead-letter queue "dead-letters".
    await push("short-lived", { body: { poison: true } });
    const first = (await pull("short-lived", {})).messages[0]!;
    await ack("short-lived", { retries: [{ lease_id: first.lease_id }] });
    const second = (await pull("short-lived", {})).messages[0]!;
    expect(second.attempts).toBe(2);
    await ack("short-lived", { retries: [{ lease_id: second.lease_id }] });
    expect((await pull("short-lived", {})).message_backlog_count).toBe(0);
    const dead = await drain("dead-letters");
    expect(dead.map((m) => [m.id, decode(m)])).toEqual([[first.id, { poison: true }]]);
  });

  it("expired leases also count: the message is dead-lettered instead of delivered again", async () => {
    await push("short-lived", { body: "never acked", content_type: "text" });
    await pull("short-lived", { visibility_timeout_ms: 20 });
    await advanceQueueTime("short-lived", 40);
    await pull("short-lived", { visibility_timeout_ms: 20 });
    await advanceQueueTime("short-lived", 40);
    expect((await pull("short-lived", {})).messages).toEqual([]);
    expect((await drain("dead-letters")).map(decode)).toEqual(["never acked"]);
  });

  it("without a dead-letter queue an exhausted message is dropped", async () => {
    await push("no-dlq", { body: "once", content_type: "text" });
    const only = (await pull("no-dlq", {})).messages[0]!;
    await ack("no-dlq", { retries: [{ lease_id: only.lease_id }] });
    expect((await pull("no-dlq", {})).message_backlog_count).toBe(0);
    expect(await drain("dead-letters")).toEqual([]);
  });
});

describe("delays", () => {
  it("honours per-message and per-batch delays; a message's own delay wins", async () => {
    await pushBatch("events", {
      delay_seconds: 1,
      messages: [
        { body: "batch-delayed", content_type: "text" },
        { body: "now", content_type: "text", delay_seconds: 0 },
      ],
    });
    await push("events", { body: "single-delayed", content_type: "text", delay_seconds: 1 });
    expect((await pull("events", { batch_size: 10 })).messages.map(decode)).toEqual(["now"]);
    await advanceQueueTime("events", 1100);
    expect((await pull("events", { batch_size: 10 })).messages.map(decode).sort()).toEqual([
      "batch-delayed",
      "single-delayed",
    ]);
  });
});

describe("persistence", () => {
  it("messages survive the queue object being restarted", async () => {
    const { abortAllDurableObjects } = await import("cloudflare:test");
    await push("webhooks", { body: "durable", content_type: "text" });
    await abortAllDurableObjects();
    const res = await call(queuePath("webhooks", "pull"), {});
    const body = await envelope<{ messages: { body: string }[] }>(res);
    expect(body.result.messages.map((m) => m.body)).toEqual(["durable"]);
  });
});
