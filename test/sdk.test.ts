/**
 * The official `cloudflare` SDK, unchanged, against the gateway: baseURL "<gateway>/client/v4",
 * a gateway key as apiToken, and the Worker's fetch handler as its transport.
 */
import { reset, SELF } from "cloudflare:test";
import Cloudflare from "cloudflare";
import { afterEach, describe, expect, it } from "vitest";
import { decode, GATEWAY } from "./support/api";
import { ACCOUNT_ID, KEYS } from "./support/constants";

afterEach(() => reset());

function client(apiToken = "local-dev-key") {
  return new Cloudflare({
    apiToken,
    baseURL: `${GATEWAY}/client/v4`,
    fetch: (input: string | URL | Request, init?: RequestInit) => SELF.fetch(input, init),
    maxRetries: 0,
  });
}

const account = { account_id: ACCOUNT_ID };

describe("cloudflare SDK against the gateway", () => {
  it("push, bulkPush, pull, ack with retry, and redelivery", async () => {
    const cf = client();
    const pushed = await cf.queues.messages.push("webhooks", {
      ...account,
      body: "from the sdk",
      content_type: "text",
    });
    expect(pushed.metadata?.metrics?.backlog_count).toBe(1);
    await cf.queues.messages.bulkPush("webhooks", {
      ...account,
      messages: [
        { body: { kind: "json", n: 1 }, content_type: "json" },
        { body: "second", content_type: "text" },
      ],
    });

    const pulled = await cf.queues.messages.pull("webhooks", {
      ...account,
      batch_size: 10,
      visibility_timeout_ms: 60_000,
    });
    const messages = pulled.messages ?? [];
    expect(messages.map((m) => decode(m as Parameters<typeof decode>[0]))).toEqual([
      "from the sdk",
      { kind: "json", n: 1 },
      "second",
    ]);

    const [first, second, third] = messages;
    const acked = await cf.queues.messages.ack("webhooks", {
      ...account,
      acks: [{ lease_id: first!.lease_id! }, { lease_id: third!.lease_id! }],
      // No delay: that the queue honours one is local-queue.test.ts's business; here the SDK's retry round trip is.
      retries: [{ lease_id: second!.lease_id!, delay_seconds: 0 }],
    });
    expect(acked).toMatchObject({ ackCount: 2, retryCount: 1 });

    const again = await cf.queues.messages.pull("webhooks", { ...account });
    expect(again.messages?.map((m) => [m.id, m.attempts])).toEqual([[second!.id, 2]]);
  });

  it("peek, purge by ref, getMetrics, and purge.start / purge.status", async () => {
    const cf = client();
    await cf.queues.messages.bulkPush("webhooks", {
      ...account,
      messages: [
        { body: "keep", content_type: "text" },
        { body: { drop: true }, content_type: "json" },
      ],
    });
    expect(await cf.queues.getMetrics("webhooks", account)).toEqual({
      backlog_count: 2,
      backlog_bytes: 104 + 113,
      oldest_message_timestamp_ms: expect.any(Number),
    });

    const peeked = await cf.queues.messages.peek("webhooks", { ...account, batch_size: 10 });
    const messages = peeked.messages ?? [];
    expect(messages.map((m) => [decode(m as Parameters<typeof decode>[0]), m.attempts])).toEqual([
      ["keep", 0],
      [{ drop: true }, 0],
    ]);
    const purged = await cf.queues.messages.purge("webhooks", { ...account, refs: [{ ref: messages[1]!.ref! }] });
    expect(purged.warnings).toEqual({});
    expect((await cf.queues.getMetrics("webhooks", account)).backlog_count).toBe(1);
    const pulled = await cf.queues.messages.pull("webhooks", { ...account, batch_size: 10 });
    expect(pulled.messages?.map((m) => [m.id, m.attempts])).toEqual([[messages[0]!.id, 1]]);

    expect(await cf.queues.purge.status("webhooks", account)).toEqual({});
    const queue = await cf.queues.purge.start("webhooks", { ...account, delete_messages_permanently: true });
    expect(queue).toMatchObject({ queue_id: "webhooks", queue_name: "webhooks" });
    const status = await cf.queues.purge.status("webhooks", account);
    expect(status).toEqual({ completed: "true", started_at: expect.any(String) });
    expect(await cf.queues.getMetrics("webhooks", account)).toEqual({
      backlog_count: 0,
      backlog_bytes: 0,
      oldest_message_timestamp_ms: 0,
    });
    await expect(cf.queues.purge.start("webhooks", account)).rejects.toBeInstanceOf(Cloudflare.BadRequestError); // no confirmation
  });

  it("surfaces gateway errors as the SDK's typed errors", async () => {
    await expect(client("wrong-key").queues.messages.pull("webhooks", { ...account })).rejects.toBeInstanceOf(
      Cloudflare.AuthenticationError,
    );
    await expect(client(KEYS.pushOnly.key).queues.messages.peek("webhooks", { ...account })).rejects.toBeInstanceOf(
      Cloudflare.PermissionDeniedError,
    );
    await expect(client().queues.getMetrics("missing", account)).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    await expect(client().queues.messages.pull("missing", { ...account })).rejects.toBeInstanceOf(
      Cloudflare.NotFoundError,
    );
    await expect(
      client().queues.messages.bulkPush("webhooks", {
        ...account,
        messages: Array.from({ length: 101 }, () => ({ body: 1, content_type: "json" as const })),
      }),
    ).rejects.toBeInstanceOf(Cloudflare.BadRequestError);
  });
});
