/**
 * The Queues API beyond messages, as zod schemas: purging a whole queue, its status, and the
 * Queue object Cloudflare answers a purge with. Field names and types follow the `cloudflare`
 * SDK's definitions (resources/queues/purge.d.ts, queues.d.ts); the metrics are ./schemas.ts's.
 */
import * as z from "zod";

/** Purging deletes every message for good, so the caller has to say so (as wrangler does). */
export const PurgeQueueRequest = z.object({
  delete_messages_permanently: z.literal(true, {
    error: "delete_messages_permanently must be true: a purge deletes every message for good",
  }),
});
export type PurgeQueueRequest = z.infer<typeof PurgeQueueRequest>;

/**
 * The last purge, both fields strings as Cloudflare types them: `completed` is "true" or "false",
 * `started_at` an ISO 8601 time. Both are absent before the queue's first purge. Upstream answers
 * are read leniently (a boolean `completed` passes through as sent).
 */
export const PurgeStatus = z.object({
  completed: z.union([z.string(), z.boolean()]).optional(),
  started_at: z.string().optional(),
});
export type PurgeStatus = z.infer<typeof PurgeStatus>;

/**
 * The Queue object (what `purge.start` answers): id, name, times and settings. From Cloudflare
 * only these fields pass; its producers and consumers (Worker script names) stay behind the gateway.
 */
export const QueueInfo = z.object({
  queue_id: z.string().optional(),
  queue_name: z.string().optional(),
  created_on: z.string().optional(),
  modified_on: z.string().optional(),
  settings: z
    .object({
      delivery_delay: z.number().optional(),
      delivery_paused: z.boolean().optional(),
      message_retention_period: z.number().optional(),
    })
    .optional(),
});
export type QueueInfo = z.infer<typeof QueueInfo>;
