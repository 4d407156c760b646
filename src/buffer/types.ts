/** The buffer's RPC contract: what callers hand a shard and what it answers. */
import type { QueueMessage } from "../queues/schemas";

export interface BufferedMessage {
  id: string;
  message: QueueMessage;
}

/** A delivery to deduplicate (src/ingest/delivery.ts says what identifies one). */
export interface Delivery {
  /** SHA-256 (hex) of the source, the caller where there is one, and the whole id. */
  key: string;
  /**
   * Hex; chooses the buffer shard that remembers it. The key itself for a request's delivery;
   * the caller for per-message deliveries, so that all of one request's deliveries, and every
   * repeat of each, meet the same shard.
   */
  shard_key: string;
  /** SHA-256 (hex) of the payload: the same key with another payload is a conflict. */
  payload_hash: string;
  window_seconds: number;
}

/**
 * Messages handed over as one delivery: a webhook, or a batch with an Idempotency-Key, is one
 * parcel; a Segment batch is one parcel per event (each has its own messageId). Without a
 * delivery, a parcel is never deduplicated.
 */
export interface Parcel {
  messages: BufferedMessage[];
  delivery?: Delivery;
  /**
   * What the delivery's record remembers in place of its messages' ids, for a record without
   * messages (a source's routing record, src/ingest/fan-out.ts): a repeat gets these back.
   */
  remember?: string[];
}

/** The ids a parcel's delivery record keeps, and a repeat of it is answered with. */
export const rememberedIds = (parcel: Parcel): string[] => parcel.remember ?? parcel.messages.map((m) => m.id);

/** A delivery to claim before a direct push: its key and the ids of its messages, never their bodies. */
export interface Claim {
  delivery: Delivery;
  ids: string[];
}

/** What a remembered delivery says about a new parcel with the same key. */
export type Seen = { state: "duplicate"; ids: string[] } | { state: "conflict" };

/** `seen[i]` answers parcel i: null when it was new and is now stored. */
export type EnqueueResult =
  | { ok: true; metrics: ShardMetrics; seen: (Seen | null)[] }
  | { ok: false; retryAfterSeconds: number };

export interface ShardMetrics {
  pending_messages: number;
  pending_bytes: number;
  /** Age of the oldest pending message in ms (0 when none). */
  oldest_pending_ms: number;
  oldest_enqueued_at: number;
}

export interface ShardStats extends ShardMetrics {
  flushes: number;
  flushed_messages: number;
  failed_flushes: number;
  dead_letters: number;
  /** When the next attempt is due after failures (ms since epoch; 0 when not backing off). */
  backoff_until: number;
  /** Since the object started (in memory): what it costs, for the benchmark and operators. */
  requests: number;
  rows_written: number;
  commits: number;
  /** Enqueues and claims that shared those commits (group commit). */
  committed_calls: number;
  /** Partial batches this shard handed to its queue's collector, and messages it adopted as the collector. */
  hand_overs: number;
  adopted_messages: number;
}

/** How an enqueue treats deliveries: screen and record them (buffered), or trust a claim made earlier (a spill). */
export interface EnqueueOptions {
  claimed?: boolean;
}

export interface DeadLetter {
  id: string;
  content_type: string;
  bytes: number;
  enqueued_at: number;
  failed_at: number;
  error: string;
  body: string;
}

/** One page request to a shard: dead letters after `after` (a seq), within both caps. */
export interface DeadLetterQuery {
  after: number;
  limit: number;
  /** Budget of message bytes for the page; one letter is listed past it when `at_least_one`. */
  max_bytes: number;
  at_least_one: boolean;
}

export interface DeadLetterPage {
  letters: DeadLetter[];
  /** The seq to resume after: the last letter listed (or the query's `after` when none). */
  after: number;
  /** Whether the shard holds dead letters past `after`. */
  more: boolean;
}
