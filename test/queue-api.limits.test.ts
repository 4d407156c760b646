/**
 * Cloudflare's production limits, enforced by the gateway at their exact edges, with
 * Cloudflare's error codes; nothing of a refused request is enqueued.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, envelope, pull, queuePath } from "./support/api";

afterEach(() => reset());

const text = (bytes: number, extra: Record<string, unknown> = {}) => ({
  body: "x".repeat(bytes),
  content_type: "text",
  ...extra,
});

async function refused(path: string, body: unknown, status: number, code: number) {
  const res = await call(path, body);
  const json = await envelope(res);
  expect({ status: res.status, success: json.success, code: json.errors[0]?.code }).toEqual({
    status,
    success: false,
    code,
  });
  expect(json.result).toBeNull();
  return json;
}

async function backlog(queue: string): Promise<number> {
  return (await pull(queue, { batch_size: 1, visibility_timeout_ms: 1 })).message_backlog_count;
}

describe("message size: 128,000 bytes including 100 bytes of overhead", () => {
  it("accepts a 127,900-byte text body and refuses one byte more with 413 / 10204", async () => {
    expect((await call(queuePath("webhooks", ""), text(127_900))).status).toBe(200);
    await refused(queuePath("webhooks", ""), text(127_901), 413, 10204);
    expect(await backlog("webhooks")).toBe(1);
  });

  it("measures json bodies as their JSON.stringify bytes, multi-byte characters included", async () => {
    // "é" is 2 bytes in UTF-8; the quotes of a JSON string count too.
    const fits = "é".repeat(63_949); // 127,898 + 2 quotes = 127,900
    expect((await call(queuePath("webhooks", ""), { body: fits })).status).toBe(200);
    await refused(queuePath("webhooks", ""), { body: `${fits}x` }, 413, 10204);
  });
});

describe("batches: at most 100 messages and 256,000 bytes", () => {
  it("accepts exactly 100 messages and refuses 101 with 10206, enqueuing none", async () => {
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ body: i }));
    expect((await call(queuePath("events", "batch"), { messages: messages(100) })).status).toBe(200);
    await refused(queuePath("events", "batch"), { messages: messages(101) }, 400, 10206);
    expect(await backlog("events")).toBe(100);
  });

  it("accepts exactly 256,000 bytes and refuses 256,001 with 413 / 10205", async () => {
    expect((await call(queuePath("events", "batch"), { messages: [text(127_900), text(127_900)] })).status).toBe(200);
    await refused(queuePath("events", "batch"), { messages: [text(127_900), text(127_800), text(1)] }, 413, 10205);
    expect(await backlog("events")).toBe(2);
  });

  it("refuses a batch with one oversize message as a whole", async () => {
    await refused(queuePath("events", "batch"), { messages: [text(10), text(127_901)] }, 413, 10204);
    expect(await backlog("events")).toBe(0);
  });

  it("refuses an empty batch", async () => {
    await refused(queuePath("events", "batch"), { messages: [] }, 400, 10207);
  });
});

describe("delays: 0 to 86,400 seconds (24 h), whole numbers", () => {
  it("accepts the edges, on messages, batches and retries", async () => {
    expect((await call(queuePath("forms", ""), text(1, { delay_seconds: 86_400 }))).status).toBe(200);
    expect((await call(queuePath("forms", ""), text(1, { delay_seconds: 0 }))).status).toBe(200);
    expect((await call(queuePath("forms", "batch"), { delay_seconds: 86_400, messages: [text(1)] })).status).toBe(200);
    expect(
      (await call(queuePath("forms", "ack"), { retries: [{ lease_id: "x", delay_seconds: 86_400 }] })).status,
    ).toBe(200);
  });

  it.each([86_401, -1, 1.5, "10"])("refuses a message delay of %j with 10203", async (delay) => {
    await refused(queuePath("forms", ""), text(1, { delay_seconds: delay }), 400, 10203);
    await refused(queuePath("forms", "batch"), { messages: [text(1, { delay_seconds: delay })] }, 400, 10203);
  });

  it("refuses a batch delay of 86,401 with 10202", async () => {
    await refused(queuePath("forms", "batch"), { delay_seconds: 86_401, messages: [text(1)] }, 400, 10202);
    expect(await backlog("forms")).toBe(0);
  });
});

describe("message metadata", () => {
  it("refuses a text message whose body is not a string, and an unknown content type, with 10203", async () => {
    await refused(queuePath("forms", ""), { body: { a: 1 }, content_type: "text" }, 400, 10203);
    await refused(queuePath("forms", ""), { body: "a", content_type: "v8" }, 400, 10203);
    await refused(queuePath("forms", ""), { content_type: "json" }, 400, 10207);
  });
});

describe("pull and ack bounds", () => {
  it("batch_size is 1..100 and visibility_timeout_ms at most 12 h", async () => {
    expect(
      (await call(queuePath("webhooks", "pull"), { batch_size: 100, visibility_timeout_ms: 43_200_000 })).status,
    ).toBe(200);
    await refused(queuePath("webhooks", "pull"), { batch_size: 101 }, 400, 10207);
    await refused(queuePath("webhooks", "pull"), { batch_size: 0 }, 400, 10207);
    await refused(queuePath("webhooks", "pull"), { visibility_timeout_ms: 43_200_001 }, 400, 10207);
  });

  it("refuses a retry delay out of range and a lease id that is not a string", async () => {
    await refused(queuePath("webhooks", "ack"), { retries: [{ lease_id: "x", delay_seconds: 86_401 }] }, 400, 10203);
    await refused(queuePath("webhooks", "ack"), { acks: [{ lease_id: 5 }] }, 400, 10207);
  });
});

describe("peek and purge bounds", () => {
  it("peek's batch_size is 1..100, as pull's", async () => {
    expect((await call(queuePath("webhooks", "peek"), { batch_size: 100 })).status).toBe(200);
    await refused(queuePath("webhooks", "peek"), { batch_size: 101 }, 400, 10207);
    await refused(queuePath("webhooks", "peek"), { batch_size: 0 }, 400, 10207);
  });

  it("a purge takes at most 1,000 refs, of at most 1,024 characters", async () => {
    const refs = (n: number, chars = 8) => ({
      refs: Array.from({ length: n }, (_, i) => ({ ref: String(i).padStart(chars, "r") })),
    });
    expect((await call(queuePath("webhooks", "purge"), refs(1000))).status).toBe(200);
    expect((await call(queuePath("webhooks", "purge"), refs(1, 1024))).status).toBe(200);
    await refused(queuePath("webhooks", "purge"), refs(1001), 400, 10207);
    await refused(queuePath("webhooks", "purge"), refs(1, 1025), 400, 10207);
  });
});
