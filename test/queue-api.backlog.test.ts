/**
 * The queue as a whole: backlog metrics and purge-all on the local queue, and on buffered queues,
 * where the gateway's own pending messages count in the metrics and go with a purge.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  ack,
  call,
  DEV_KEY,
  decode,
  drain,
  envelope,
  metrics,
  peek,
  pull,
  purge,
  purgeQueue,
  purgeStatus,
  push,
  pushBatch,
  queueResourcePath,
} from "./support/api";

afterEach(() => reset());

const EMPTY = { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 };

/** Pushes a buffered queue's pending messages to its upstream now (operator route). */
async function flush(queue: string) {
  const res = await call(`/admin/queues/${queue}/flush`, undefined, { key: DEV_KEY, contentType: null });
  expect(res.status).toBe(200);
}

describe("metrics", () => {
  it("match what was pushed and acked; peeking changes nothing, purging by ref takes the message out", async () => {
    expect(await metrics("forms")).toEqual(EMPTY);
    const first = await push("forms", { body: "abc", content_type: "text" });
    await pushBatch("forms", { messages: [{ body: { a: 1 } }, { body: "xy", content_type: "text" }] });
    const oldest = first.metadata.metrics.oldest_message_timestamp_ms;
    expect(await metrics("forms")).toEqual({
      backlog_count: 3,
      backlog_bytes: 103 + 107 + 102,
      oldest_message_timestamp_ms: oldest,
    });

    const [abc, json] = (await pull("forms", { batch_size: 2 })).messages;
    expect((await metrics("forms")).backlog_count).toBe(3); // leased is still backlog
    await ack("forms", { acks: [{ lease_id: abc!.lease_id }, { lease_id: json!.lease_id }] });
    const [xy] = (await peek("forms")).messages;
    expect(await metrics("forms")).toEqual({
      backlog_count: 1,
      backlog_bytes: 102,
      oldest_message_timestamp_ms: xy!.timestamp_ms,
    });

    await purge("forms", [xy!.ref]);
    expect(await metrics("forms")).toEqual(EMPTY);
  });

  it("a buffered queue's include the messages the gateway still holds, before and after they reach the queue", async () => {
    // small-buffer keeps messages for 60 s before pushing them to its local queue.
    const before = Date.now();
    await pushBatch("small-buffer", {
      messages: [
        { body: "x", content_type: "text" },
        { body: "yz", content_type: "text" },
      ],
    });
    const pending = await metrics("small-buffer");
    expect(pending).toMatchObject({ backlog_count: 2, backlog_bytes: 101 + 102 });
    expect(pending.oldest_message_timestamp_ms).toBeGreaterThanOrEqual(before);
    expect((await pull("small-buffer", { batch_size: 1, visibility_timeout_ms: 1 })).message_backlog_count).toBe(0); // not in the queue yet

    await flush("small-buffer");
    expect(await metrics("small-buffer")).toMatchObject({ backlog_count: 2, backlog_bytes: 203 });
    expect((await drain("small-buffer")).map(decode)).toEqual(["x", "yz"]);
    expect(await metrics("small-buffer")).toEqual(EMPTY);
  });
});

describe("purge-all", () => {
  it("empties the queue, leased messages included, and reports completion", async () => {
    expect(await purgeStatus("webhooks")).toEqual({});
    await pushBatch("webhooks", { messages: [{ body: 1 }, { body: 2 }, { body: 3 }] });
    await pull("webhooks", { batch_size: 1 });
    const before = Date.now();

    expect(await purgeQueue("webhooks")).toMatchObject({ queue_id: "webhooks", queue_name: "webhooks" });
    const status = await purgeStatus("webhooks");
    expect(status).toEqual({ completed: "true", started_at: expect.any(String) });
    expect(Date.parse(status.started_at!)).toBeGreaterThanOrEqual(before - 1000);
    expect(await metrics("webhooks")).toEqual(EMPTY);
    expect((await pull("webhooks", { batch_size: 10 })).messages).toEqual([]);

    await push("webhooks", { body: "after", content_type: "text" });
    expect((await drain("webhooks")).map(decode)).toEqual(["after"]);
  });

  it("on a buffered queue also drops what the gateway still holds: nothing arrives afterwards", async () => {
    await push("small-buffer", { body: "in the queue", content_type: "text" });
    await flush("small-buffer");
    await pushBatch("small-buffer", {
      messages: [
        { body: "pending 1", content_type: "text" },
        { body: "pending 2", content_type: "text" },
      ],
    });
    expect((await metrics("small-buffer")).backlog_count).toBe(3);

    await purgeQueue("small-buffer");
    expect(await metrics("small-buffer")).toEqual(EMPTY);
    await flush("small-buffer");
    expect(await drain("small-buffer")).toEqual([]);
  });

  it("needs delete_messages_permanently: true; anything else deletes nothing", async () => {
    await push("webhooks", { body: "stays", content_type: "text" });
    for (const body of [{}, { delete_messages_permanently: false }, { delete_messages_permanently: "true" }]) {
      const res = await call(queueResourcePath("webhooks", "purge"), body);
      expect(res.status).toBe(400);
      expect((await envelope(res)).errors[0]).toMatchObject({
        code: 10207,
        message: expect.stringContaining("delete_messages_permanently"),
      });
    }
    expect((await metrics("webhooks")).backlog_count).toBe(1);
    expect(await purgeStatus("webhooks")).toEqual({});
  });
});
