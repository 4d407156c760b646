/**
 * The queue as a whole (`GET …/metrics`, `POST|GET …/purge`): its backlog, and purging it.
 *
 * For a buffered queue the backlog is what the upstream holds plus what the gateway's buffer
 * still holds for it (accepted, not yet pushed), so the numbers match what consumers will get;
 * dead letters in the buffer are not counted (they will not reach the queue unless replayed).
 * Purging likewise drops both: the buffer's pending messages first (each shard lets a flush in
 * flight finish), then the upstream's, so nothing accepted before the purge arrives after it.
 * Direct queues have no buffer: both go to the upstream alone.
 */
import { type Context, Hono } from "hono";
import { shardStub } from "../buffer/shards";
import type { ShardMetrics } from "../buffer/types";
import { ok } from "../http/errors";
import { validJson } from "../http/validate";
import { PurgeQueueRequest, PurgeStatus, QueueInfo } from "../queues/queue-schemas";
import { Metrics } from "../queues/schemas";
import { describeQueueRoute, json, type QueueEnv, queueAccess, upstream } from "./queue-support";

/** The buffer shards of a buffered queue; none in direct mode. */
function bufferShards(c: Context<QueueEnv>) {
  const queue = c.get("queue");
  if (queue.config.mode !== "buffered") return [];
  return Array.from({ length: queue.config.buffer.shards }, (_, shard) => shardStub(c.env, queue.name, shard));
}

/** The upstream's backlog with the buffer's pending messages added; the oldest of both (0 = none or unknown). */
function withPending(queued: Metrics, pending: ShardMetrics[]): Metrics {
  const oldest = [queued.oldest_message_timestamp_ms, ...pending.map((p) => p.oldest_enqueued_at)].filter((t) => t > 0);
  return {
    backlog_count: pending.reduce((n, p) => n + p.pending_messages, queued.backlog_count),
    backlog_bytes: pending.reduce((n, p) => n + p.pending_bytes, queued.backlog_bytes),
    oldest_message_timestamp_ms: oldest.length ? Math.min(...oldest) : 0,
  };
}

export const backlogRoutes = new Hono<QueueEnv>()
  .get(
    "/metrics",
    describeQueueRoute("Backlog metrics (the gateway's buffer included)", { result: Metrics }),
    // Metrics say less than either a pull or a peek does, so either scope may read them.
    queueAccess("pull", "peek"),
    async (c) => {
      const [queued, pending] = await Promise.all([
        upstream(c).metrics(),
        Promise.all(bufferShards(c).map((shard) => shard.stats())),
      ]);
      return c.json(ok(withPending(queued, pending)));
    },
  )
  .post(
    "/purge",
    describeQueueRoute("Purge every message (the gateway's buffer included)", {
      body: PurgeQueueRequest,
      result: QueueInfo,
    }),
    queueAccess("purge"),
    json,
    validJson(PurgeQueueRequest),
    async (c) => {
      const purged = await Promise.all(bufferShards(c).map((shard) => shard.purgePending()));
      c.set("log", { ...c.get("log"), buffer_purged: purged.reduce((a, b) => a + b, 0) });
      return c.json(ok(await upstream(c).purgeAll()));
    },
  )
  .get(
    "/purge",
    describeQueueRoute("Status of the last purge", { result: PurgeStatus }),
    queueAccess("purge"),
    async (c) => {
      return c.json(ok(await upstream(c).purgeStatus()));
    },
  );
