/**
 * The settings of a queue, as zod schemas (the schemas are the types): its upstream, its Cloudflare
 * id, its buffer, its mode; and what the upstreams read of the gateway's settings. The gateway's
 * configuration (src/config/schema.ts) composes them.
 */
import * as z from "zod";

export const QueueName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "queue names are 1-63 lowercase letters, digits and dashes");

export const CloudflareQueueId = z.string().regex(/^[0-9a-f]{32}$/, "Cloudflare queue ids are 32 hex digits");

export const UpstreamKind = z.enum(["local", "cloudflare", "binding"]);
export type UpstreamKind = z.infer<typeof UpstreamKind>;

const DAY_SECONDS = 86_400;

/** The durable buffer between accepting a message and pushing it upstream (src/buffer/). */
export const BufferConfig = z.object({
  /** Buffer objects per queue; requests spread over them. */
  shards: z.number().int().min(1).max(64).default(2),
  /** Flush when this many messages are pending (Cloudflare's batch maximum is also the default). */
  max_messages: z.number().int().min(1).max(100).default(100),
  /** Flush when pending bytes (with ~100 bytes overhead each) reach this. */
  max_bytes: z.number().int().min(1).max(256_000).default(256_000),
  /** Flush when the oldest pending message has waited this long. */
  max_wait_ms: z.number().int().min(0).max(60_000).default(1_000),
  /** Backpressure: past these, the shard refuses new messages with 503 + Retry-After. */
  max_pending_messages: z.number().int().min(1).default(50_000),
  max_pending_bytes: z.number().int().min(1).default(100_000_000),
});
export type BufferConfig = z.infer<typeof BufferConfig>;

export const QueueConfig = z
  .object({
    upstream: UpstreamKind.default("local"),
    /** The queue's id on Cloudflare; required by the cloudflare and binding upstreams. */
    cloudflare_id: CloudflareQueueId.optional(),
    /** Name of the producer binding in wrangler.toml, for the binding upstream. */
    binding: z.string().optional(),
    /** Local queue only: where messages go after max_retries; dropped when unset. */
    dead_letter_queue: QueueName.optional(),
    max_retries: z.number().int().min(0).max(100).default(3),
    retention_seconds: z
      .number()
      .int()
      .min(60)
      .max(14 * DAY_SECONDS)
      .default(4 * DAY_SECONDS),
    /**
     * How accepted messages reach the queue (src/buffer/accept.ts): `buffered` (stored durably,
     * pushed in full batches), `direct` (pushed before answering; 503 when the queue refuses) or
     * `direct_first` (pushed before answering; spilled into the buffer when the queue refuses).
     * Default: direct_first for binding upstreams (a producer binding spends no API budget), else
     * buffered (REST pushes count against the account's API rate limit: full batches matter).
     */
    mode: z.enum(["buffered", "direct", "direct_first"]).optional(),
    buffer: BufferConfig.default(BufferConfig.parse({})),
  })
  .transform((queue) => ({
    ...queue,
    mode: queue.mode ?? (queue.upstream === "binding" ? "direct_first" : "buffered"),
  }));
export type QueueConfig = z.infer<typeof QueueConfig>;

/** What the queues and their upstreams read of the gateway's configuration (a part of it). */
export interface QueueSettings {
  account_id: string;
  api_base_url: string;
  api_token?: string | undefined;
  api_timeout_ms: number;
  queues: Record<string, QueueConfig>;
}
