/**
 * The cloudflare upstream against the stateful stand-in for Cloudflare's REST API: messages go
 * through to the real API paths with the gateway's token (never the client's key), upstream
 * errors pass through with their status, and failures become 502/504 envelopes.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ack, call, decode, drain, envelope, pull, push, pushBatch, queuePath } from "./support/api";
import { ACCOUNT_ID, QUEUES_API_TOKEN, REMOTE_QUEUE_ID } from "./support/constants";
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
    expect(body).toEqual({ success: false, errors: [{ code: 971, message: "injected 429" }], messages: [], result: null });
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
