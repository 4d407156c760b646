/** The buffer's RPC contract: what callers hand a shard and what it answers. */
import type { QueueMessage } from "../queues/schemas";

export interface BufferedMessage {
  id: string;
  message: QueueMessage;
}

/** A delivery to deduplicate: its id, the scope it is unique in (the source), and the window. */
export interface Delivery {
  id: string;
  scope: string;
  window_seconds: number;
}

export type EnqueueResult = { ok: true; metrics: ShardMetrics; duplicateOf?: string[] } | { ok: false; retryAfterSeconds: number };

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
