/**
 * The cloudflare upstream against the stateful stand-in for Cloudflare's REST API: messages go
 * through to the real API paths with the gateway's token (never the client's key), upstream
 * errors pass through with their status, and failures become 502/504 envelopes.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { BufferShard } from "../src/buffer/shard";
import { shardStub } from "../src/buffer/shards";
import {
  ack,
  call,
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
  queuePath,
  queueResourcePath,
} from "./support/api";
import { ACCOUNT_ID, BUFFERED_REMOTE_QUEUE_ID, QUEUES_API_TOKEN, REMOTE_QUEUE_ID } from "./support/constants";
import { apiCalls, type Fault, injectFaults } from "./support/peer";

beforeEach(async () => {
  await injectFaults();
  await drain("remote");
  await injectFaults();
});

describe("happy path", () => {
  it("push, batch, pull and ack reach the Cloudflare API paths with the gateway's token", async () => {
    await push("remote", { body: { n: 1 } });
    await pushBatch("remote", {
      messages: [
        { body: "two", content_type: "text" },
        { body: { n: 3 }, delay_seconds: 0 },
      ],
    });
    const pulled = await pull("remote", { batch_size: 10 });
    expect(pulled.messages.map(decode)).toEqual([{ n: 1 }, "two", { n: 3 }]);
    const acked = await ack("remote", { acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })) });
    expect(acked.ackCount).toBe(3);

    const base = `/client/v4/accounts/${ACCOUNT_ID}/queues/${REMOTE_QUEUE_ID}/messages`;
    const calls = await apiCalls();
    expect(calls.map((c) => c.path)).toEqual([`${base}/batch`, `${base}/batch`, `${base}/pull`, `${base}/ack`]);
    expect(new Set(calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${QUEUES_API_TOKEN}`]));
  });

  it("accepts the queue's Cloudflare id in place of its name", async () => {
    await push(REMOTE_QUEUE_ID, { body: "by id", content_type: "text" });
    expect((await drain("remote")).map(decode)).toEqual(["by id"]);
  });

  it("retries and redelivery work through the API", async () => {
    await push("remote", { body: "retry me", content_type: "text" });
    const first = (await pull("remote", {})).messages[0]!;
    await ack("remote", { retries: [{ lease_id: first.lease_id }] });
    const second = (await pull("remote", {})).messages[0]!;
    expect({ id: second.id, attempts: second.attempts }).toEqual({ id: first.id, attempts: 2 });
  });
});

describe("peek, purge, metrics and purge-all", () => {
  const queue = `/client/v4/accounts/${ACCOUNT_ID}/queues/${REMOTE_QUEUE_ID}`;

  it("reach their Cloudflare API paths and methods with the gateway's token, and answer as the API does", async () => {
    const before = await metrics("remote"); // earlier tests may leave leased messages behind
    await pushBatch("remote", { messages: ["a", "b", "c"].map((body) => ({ body, content_type: "text" })) });
    await injectFaults(); // a fresh call log

    const peeked = (await peek("remote", { batch_size: 10 })).messages;
    expect(peeked.map((m) => [decode(m), m.attempts])).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
    expect(await purge("remote", [peeked[1]!.ref, "not-a-ref"])).toEqual({
      warnings: { "not-a-ref": expect.any(String) },
    });
    expect(await metrics("remote")).toMatchObject({
      backlog_count: before.backlog_count + 2,
      backlog_bytes: before.backlog_bytes + 202,
    });
    expect(await purgeQueue("remote")).toMatchObject({ queue_id: REMOTE_QUEUE_ID, queue_name: "remote-store" });
    expect(await purgeStatus("remote")).toMatchObject({ completed: "true", started_at: expect.any(String) });
    expect(await metrics("remote")).toEqual({ backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 });

    const calls = await apiCalls();
    expect(calls.map((c) => c.path)).toEqual([
      `${queue}/messages/peek`,
      `${queue}/messages/purge`,
      `${queue}/metrics`,
      `${queue}/purge`,
      `${queue}/purge`,
      `${queue}/metrics`,
    ]);
    expect(new Set(calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${QUEUES_API_TOKEN}`]));
  });

  it("peeking upstream leases nothing: a pull afterwards gets the message with attempts 1", async () => {
    await push("remote", { body: "look, don't take", content_type: "text" });
    const [peeked] = (await peek("remote")).messages;
    const [pulled] = (await pull("remote")).messages;
    expect([pulled!.id, pulled!.attempts]).toEqual([peeked!.id, 1]);
  });

  it("a buffered queue's purge drops the gateway's pending messages too: nothing arrives upstream afterwards", async () => {
    // buffered-remote flushes after 200 ms; purging at once catches the messages in the buffer.
    await pushBatch("buffered-remote", { messages: [{ body: 1 }, { body: 2 }] });
    expect((await metrics("buffered-remote")).backlog_count).toBe(2);
    await purgeQueue(BUFFERED_REMOTE_QUEUE_ID);
    // Past the flush's due time, and the shard's alarm run: nothing is left to push.
    const shard = shardStub(env, "buffered-remote", 0);
    await runInDurableObject(shard, (instance: BufferShard) => instance.clock.advance(400));
    await runDurableObjectAlarm(shard);
    expect(await metrics("buffered-remote")).toMatchObject({ backlog_count: 0 });
    expect(await drain("buffered-remote")).toEqual([]);
  });

  it("upstream failures are envelopes with the upstream's status", async () => {
    await injectFaults([{ status: 429, retry_after: 2 }, { status: 500 }, { malformed: true }, { hang: true }]);
    const peekRes = await call(queuePath("remote", "peek"), {});
    expect([peekRes.status, peekRes.headers.get("retry-after")]).toEqual([429, "2"]);
    expect((await call(queueResourcePath("remote", "metrics"), undefined, { method: "GET" })).status).toBe(500);
    const statusRes = await call(queueResourcePath("remote", "purge"), undefined, { method: "GET" });
    expect([statusRes.status, (await envelope(statusRes)).errors[0]?.code]).toEqual([502, 10502]);
    const purgeRes = await call(queueResourcePath("remote", "purge"), { delete_messages_permanently: true });
    expect([purgeRes.status, (await envelope(purgeRes)).errors[0]?.code]).toEqual([504, 10504]);
  });
});

describe("upstream failures", () => {
  async function failing(fault: Fault) {
    await injectFaults([fault]);
    const res = await call(queuePath("remote", ""), { body: "x", content_type: "text" });
    const text = await res.text();
    expect(text).not.toContain(QUEUES_API_TOKEN);
    return { res, body: JSON.parse(text) };
  }

  it("429 passes through with its retry-after and the upstream's error", async () => {
    const { res, body } = await failing({ status: 429, retry_after: 7 });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(body).toEqual({
      success: false,
      errors: [{ code: 971, message: "injected 429" }],
      messages: [],
      result: null,
    });
  });

  it("5xx envelopes pass through with their status", async () => {
    const { res, body } = await failing({ status: 500 });
    expect(res.status).toBe(500);
    expect(body.errors).toEqual([{ code: 15000, message: "injected 500" }]);
  });

  it("an upstream that hangs past the timeout is 504", async () => {
    const { res, body } = await failing({ hang: true });
    expect(res.status).toBe(504);
    expect(body.errors[0].code).toBe(10504);
  });

  it("a malformed upstream answer is 502", async () => {
    const { res, body } = await failing({ malformed: true });
    expect(res.status).toBe(502);
    expect(body.errors[0].code).toBe(10502);
  });

  it("the upstream refusing the gateway's own token is 502, not the client's 401", async () => {
    const { res, body } = await failing({ status: 401 });
    expect(res.status).toBe(502);
    expect(body.errors[0].message).toContain("credentials");
  });

  it("nothing of a failed push is stored; the next push goes through", async () => {
    await failing({ status: 500 });
    await push("remote", { body: "after", content_type: "text" });
    expect((await drain("remote")).map(decode)).toEqual(["after"]);
  });

  it("pull failures are envelopes too", async () => {
    await injectFaults([{ status: 429, retry_after: 2 }]);
    const res = await call(queuePath("remote", "pull"), {});
    expect(res.status).toBe(429);
    expect((await envelope(res)).success).toBe(false);
  });
});
