/**
 * Where accepted messages go, for ingest and the compatible push routes alike. Buffered queues
 * write them durably into one of the queue's buffer shards (chosen at random, so load spreads
 * and no object is a hot spot); direct queues push them upstream before answering, split into
 * batches within Cloudflare's limits (an upstream failure is thrown as its UpstreamError, which
 * the compatible routes pass through and ingest turns into 503). Either way the caller gets 2xx
 * only once the gateway or the queue owns the messages.
 */
import type { GatewayConfig } from "../config/schema";
import { newMessageId } from "../queues/ids";
import type { ResolvedQueue } from "../queues/resolve";
import type { Metrics, QueueMessage } from "../queues/schemas";
import { upstreamFor } from "../queues/upstream";
import { splitBatches } from "./batches";
import type { BufferedMessage, Delivery, Seen } from "./types";

export type Acceptance = { ok: true; metrics: Metrics; seen?: Seen } | { ok: false; retryAfterSeconds: number; detail: string };

/** What a sender is told to wait when the queue path failed without saying for how long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function shardStub(env: Env, queue: string, shard: number) {
  return env.BUFFER.get(env.BUFFER.idFromName(`${queue}/${shard}`));
}

export async function acceptMessages(
  config: GatewayConfig,
  env: Env,
  queue: ResolvedQueue,
  messages: QueueMessage[] | BufferedMessage[],
  delivery?: Delivery,
): Promise<Acceptance> {
  const items: BufferedMessage[] = messages.map((m) => ("message" in m ? m : { id: newMessageId(), message: m }));
  if (queue.config.mode === "direct")
    return pushDirect(
      config,
      env,
      queue,
      items.map((i) => i.message),
    );
  const shards = queue.config.buffer.shards;
  // Repeats of a delivery must meet the shard that remembers it; the rest spread at random.
  const shard = delivery ? Number.parseInt(delivery.key.slice(0, 8), 16) % shards : Math.floor(Math.random() * shards);
  const result = await shardStub(env, queue.name, shard).enqueue(queue.name, items, delivery);
  if (!result.ok) return { ok: false, retryAfterSeconds: result.retryAfterSeconds, detail: "buffer full (backpressure)" };
  const m = result.metrics;
  // Best effort, as Cloudflare's: the backlog this gateway still holds for the queue's shard.
  const metrics = { backlog_count: m.pending_messages, backlog_bytes: m.pending_bytes, oldest_message_timestamp_ms: m.oldest_enqueued_at };
  return result.seen ? { ok: true, metrics, seen: result.seen } : { ok: true, metrics };
}

async function pushDirect(config: GatewayConfig, env: Env, queue: ResolvedQueue, messages: QueueMessage[]): Promise<Acceptance> {
  const upstream = upstreamFor(queue, config, env);
  let metrics: Metrics = { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 };
  for (const batch of splitBatches(messages)) metrics = (await upstream.push(batch)).metadata.metrics;
  return { ok: true, metrics };
}
