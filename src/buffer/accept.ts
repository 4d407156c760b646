/**
 * Where accepted messages go, for ingest and the compatible push routes alike, by the queue's mode:
 *  - buffered: written durably into one of the queue's buffer shards, flushed in full batches;
 *  - direct: pushed upstream before answering, split into batches within Cloudflare's limits
 *    (an upstream failure is thrown as its UpstreamError: nothing was kept, the sender retries);
 *  - direct_first (the default for binding upstreams): pushed upstream before answering, and
 *    only when that fails (throws, times out, is refused for rate) spilled into a buffer shard,
 *    which drains it when the queue recovers. A healthy gateway touches no Durable Object.
 * Either way the caller gets 2xx only once the gateway or the queue owns the messages.
 */
import type { GatewayConfig } from "../config/schema";
import { newMessageId } from "../lib/ids";
import { MAX_BATCH_MESSAGES } from "../queues/limits";
import type { ResolvedQueue } from "../queues/resolve";
import type { Metrics, QueueMessage } from "../queues/schemas";
import { upstreamFor } from "../queues/upstreams/upstream";
import { takeBatch } from "./batches";
import { shardStub } from "./shards";
import type { BufferedMessage, EnqueueResult, Parcel, Seen } from "./types";

export type Acceptance =
  | { ok: true; metrics: Metrics; seen: (Seen | null)[]; spilled?: true }
  | { ok: false; retryAfterSeconds: number; detail: string };

type ShardStub = ReturnType<typeof shardStub>;

/** What a sender is told to wait when the queue path failed without saying for how long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** Shards a refused enqueue may try (its home first) before the sender gets 503. */
const MAX_SHARD_TRIES = 3;

/** Messages without a delivery: one parcel, never deduplicated (the compatible push routes). */
export function parcelOf(messages: QueueMessage[]): Parcel {
  return { messages: messages.map((message) => ({ id: newMessageId(), message })) };
}

/**
 * Hands parcels to the queue by its mode. Buffered queues screen deliveries in the shard; direct
 * modes do not deduplicate here: src/ingest/deliver.ts claims deliveries around the push, and a
 * spill trusts those claims.
 */
export async function acceptMessages(
  config: GatewayConfig,
  env: Env,
  queue: ResolvedQueue,
  parcels: Parcel[],
): Promise<Acceptance> {
  const mode = queue.config.mode;
  if (mode === "buffered") return enqueueAnyShard(env, queue, parcels, false);
  const messages = parcels.flatMap((p) => p.messages);
  const pushed: BufferedMessage[] = [];
  try {
    const metrics = await pushDirect(config, env, queue, messages, pushed);
    return { ok: true, metrics, seen: parcels.map(() => null) };
  } catch (err) {
    if (mode === "direct") throw err;
    // Spill what the queue did not take; a batch that went through is not stored again.
    const done = new Set(pushed.map((m) => m.id));
    const rest = parcels
      .map((p) => ({ ...p, messages: p.messages.filter((m) => !done.has(m.id)) }))
      .filter((p) => p.messages.length > 0);
    const spilled = await enqueueAnyShard(env, queue, rest, true);
    if (!spilled.ok) throw err;
    return { ...spilled, seen: parcels.map(() => null), spilled: true };
  }
}

/** The shard that remembers these parcels' deliveries (by their shard key), or a random one. */
export function homeShard(env: Env, queue: ResolvedQueue, parcels: Parcel[]): { index: number; stub: ShardStub } {
  const shards = queue.config.buffer.shards;
  const home = parcels.find((p) => p.delivery)?.delivery?.shard_key;
  const index = home ? Number.parseInt(home.slice(0, 8), 16) % shards : Math.floor(Math.random() * shards);
  return { index, stub: shardStub(env, queue.name, index) };
}

/**
 * Enqueues on the home shard; when it refuses (backpressure), parcels that no delivery pins to
 * it (or a spill, whose deliveries were claimed already) try the next shard before the sender is
 * told to come back later: a burst on one shard is held by another.
 */
async function enqueueAnyShard(
  env: Env,
  queue: ResolvedQueue,
  parcels: Parcel[],
  claimed: boolean,
): Promise<Acceptance> {
  const home = homeShard(env, queue, parcels);
  const pinned = !claimed && parcels.some((p) => p.delivery);
  const shards = queue.config.buffer.shards;
  const tries = pinned ? 1 : Math.min(shards, MAX_SHARD_TRIES);
  let result: EnqueueResult | undefined;
  for (let i = 0; i < tries; i++) {
    const stub = i === 0 ? home.stub : shardStub(env, queue.name, (home.index + i) % shards);
    result = await stub.enqueue(queue.name, parcels, { claimed });
    if (result.ok) break;
  }
  if (!result?.ok)
    return {
      ok: false,
      retryAfterSeconds: result?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      detail: "buffer full (backpressure)",
    };
  const m = result.metrics;
  // Best effort, as Cloudflare's: the backlog this gateway still holds for the queue's shard.
  const metrics = {
    backlog_count: m.pending_messages,
    backlog_bytes: m.pending_bytes,
    oldest_message_timestamp_ms: m.oldest_enqueued_at,
  };
  return { ok: true, metrics, seen: result.seen };
}

/** Pushes in upstream batches; `pushed` collects what the queue took, for a spill after a failure midway. */
async function pushDirect(
  config: GatewayConfig,
  env: Env,
  queue: ResolvedQueue,
  messages: BufferedMessage[],
  pushed: BufferedMessage[],
): Promise<Metrics> {
  const upstream = upstreamFor(queue, config, env);
  let metrics: Metrics = { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 };
  for (let start = 0; start < messages.length; ) {
    const batch = takeBatch(messages.slice(start, start + MAX_BATCH_MESSAGES));
    metrics = (await upstream.push(batch.map((b) => b.message))).metadata.metrics;
    pushed.push(...batch);
    start += batch.length;
  }
  return metrics;
}
