/**
 * Where accepted messages go, for ingest and the compatible push routes alike. Buffered queues
 * write them durably into one of the queue's buffer shards (chosen at random, so load spreads
 * and no object is a hot spot, unless deliveries say which shard remembers them); direct queues push them upstream before answering, split into
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
import type { Parcel, Seen } from "./types";

export type Acceptance = { ok: true; metrics: Metrics; seen: (Seen | null)[] } | { ok: false; retryAfterSeconds: number; detail: string };

/** What a sender is told to wait when the queue path failed without saying for how long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function shardStub(env: Env, queue: string, shard: number) {
  return env.BUFFER.get(env.BUFFER.idFromName(`${queue}/${shard}`));
}

/** Messages without a delivery: one parcel, never deduplicated (the compatible push routes). */
export function parcelOf(messages: QueueMessage[]): Parcel {
  return { messages: messages.map((message) => ({ id: newMessageId(), message })) };
}

/**
 * Hands parcels to the queue's buffer (one shard, one transaction) or, in direct mode, pushes
 * their messages upstream. Direct mode does not deduplicate here: src/ingest/deliver.ts claims
 * deliveries around the push.
 */
export async function acceptMessages(config: GatewayConfig, env: Env, queue: ResolvedQueue, parcels: Parcel[]): Promise<Acceptance> {
  if (queue.config.mode === "direct") {
    const metrics = await pushDirect(
      config,
      env,
      queue,
      parcels.flatMap((p) => p.messages.map((m) => m.message)),
    );
    return { ok: true, metrics, seen: parcels.map(() => null) };
  }
  const shards = queue.config.buffer.shards;
  // Repeats of a delivery must meet the shard that remembers it; the rest spread at random.
  const home = parcels.find((p) => p.delivery)?.delivery?.shard_key;
  const shard = home ? Number.parseInt(home.slice(0, 8), 16) % shards : Math.floor(Math.random() * shards);
  const result = await shardStub(env, queue.name, shard).enqueue(queue.name, parcels);
  if (!result.ok) return { ok: false, retryAfterSeconds: result.retryAfterSeconds, detail: "buffer full (backpressure)" };
  const m = result.metrics;
  // Best effort, as Cloudflare's: the backlog this gateway still holds for the queue's shard.
  const metrics = { backlog_count: m.pending_messages, backlog_bytes: m.pending_bytes, oldest_message_timestamp_ms: m.oldest_enqueued_at };
  return { ok: true, metrics, seen: result.seen };
}

async function pushDirect(config: GatewayConfig, env: Env, queue: ResolvedQueue, messages: QueueMessage[]): Promise<Metrics> {
  const upstream = upstreamFor(queue, config, env);
  let metrics: Metrics = { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 };
  for (const batch of splitBatches(messages)) metrics = (await upstream.push(batch)).metadata.metrics;
  return metrics;
}
