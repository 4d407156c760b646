/**
 * The binding upstream: pushes go through a queue producer binding (here Miniflare's queue,
 * consumed by the Cloudflare stand-in as Cloudflare would store it); everything else for the
 * queue (pull, ack, peek, purge, metrics, purge-all) goes through the REST API.
 */
import { describe, expect, it } from "vitest";
import { parseExact } from "../src/queues/exact-json";
import {
  ack,
  decode,
  metrics,
  peek,
  pull,
  purge,
  purgeQueue,
  purgeStatus,
  push,
  pushBatch,
  sleep,
} from "./support/api";
import { apiCalls, injectFaults } from "./support/peer";

async function pullUntil(queue: string, count: number) {
  const seen = [];
  for (let i = 0; i < 100 && seen.length < count; i++) {
    const { messages } = await pull(queue, { batch_size: 100 });
    seen.push(...messages);
    if (messages.length) await ack(queue, { acks: messages.map((m) => ({ lease_id: m.lease_id })) });
    else await sleep(50);
  }
  return seen;
}

describe("binding upstream", () => {
  it("sends text and json messages through sendBatch; pull and ack work through REST", async () => {
    await push("bound", { body: "via binding", content_type: "text" });
    await pushBatch("bound", { messages: [{ body: { n: 2 } }, { body: "three", content_type: "text" }] });
    const messages = await pullUntil("bound", 3);
    expect(messages.map(decode).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [{ n: 2 }, "three", "via binding"].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });
});

describe("binding upstream: the queue beyond push goes through REST", () => {
  it("peek shows what the binding delivered, purge by ref and purge-all delete it, metrics follow", async () => {
    await pushBatch("bound", { messages: ["keep", "drop", "also"].map((body) => ({ body, content_type: "text" })) });
    let peeked = (await peek("bound", { batch_size: 10 })).messages;
    for (let i = 0; i < 100 && peeked.length < 3; i++) {
      await sleep(50); // the producer binding delivers asynchronously
      peeked = (await peek("bound", { batch_size: 10 })).messages;
    }
    expect(peeked.map(decode).sort()).toEqual(["also", "drop", "keep"]);
    expect(peeked.map((m) => m.attempts)).toEqual([0, 0, 0]);

    await injectFaults(); // a fresh call log
    const drop = peeked.find((m) => decode(m) === "drop")!;
    expect(await purge("bound", [drop.ref])).toEqual({ warnings: {} });
    expect(await metrics("bound")).toMatchObject({ backlog_count: 2, backlog_bytes: 208 });
    await purgeQueue("bound");
    expect(await purgeStatus("bound")).toMatchObject({ completed: "true" });
    expect(await metrics("bound")).toMatchObject({ backlog_count: 0 });
    expect((await pull("bound", { batch_size: 10 })).messages).toEqual([]);
    expect((await apiCalls()).map((c) => c.path.split("/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")[1])).toEqual([
      "/messages/purge",
      "/metrics",
      "/purge",
      "/purge",
      "/metrics",
      "/messages/pull",
    ]);
  });
});

describe("exact JSON for value-only APIs", () => {
  it("keeps integers beyond 2^53, key order and unicode when serialized again", () => {
    const texts = [
      '{"id":12345678901234567890,"neg":-98765432109876543210,"small":42,"f":1.5}',
      '{"z":1,"a":{"y":[9007199254740993,"é✓😀"],"b":null}}',
      '[18446744073709551615,true,false,"\\u0000"]',
    ];
    for (const text of texts) {
      expect(JSON.stringify(JSON.parse(text))).not.toBe(text); // what a plain parse would lose
      expect(JSON.stringify(parseExact(text))).toBe(text);
    }
  });
});
