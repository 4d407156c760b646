/**
 * The single place where ingest hands accepted messages over, deduplicating deliveries on the
 * way. Buffered queues: one call to a buffer shard, which checks and records the delivery id in
 * the same transaction that stores the messages (the shard is chosen by the delivery id, so
 * repeats meet the same shard). Direct queues: the Deduplicator claims the id, the upstream
 * push runs, then the claim is completed, or released on failure so the sender's retry goes
 * through. A request produces at most one upstream batch, so direct mode is all or nothing too.
 */
import { acceptMessages, DEFAULT_RETRY_AFTER_SECONDS } from "../buffer/accept";
import type { BufferedMessage, Delivery } from "../buffer/types";
import type { GatewayConfig } from "../config/schema";
import { fail, type Result, success } from "../lib/result";
import { resolveQueue } from "../queues/resolve";
import { UpstreamError } from "../queues/upstream-error";
import { claimDelivery } from "./idempotency";

export interface Delivered {
  /** Set when this delivery was seen within its window: the ids it produced then. */
  duplicateOf?: string[];
}

export async function deliver(
  config: GatewayConfig,
  env: Env,
  queueName: string,
  messages: BufferedMessage[],
  delivery?: Delivery,
): Promise<Result<Delivered>> {
  const queue = resolveQueue(config, queueName);
  const claim = queue.config.mode === "direct" && delivery ? await claimDelivery(env, delivery) : undefined;
  if (claim?.state === "duplicate") return success({ duplicateOf: claim.ids });
  if (claim?.state === "in_progress") return fail({ reason: "delivery_in_progress" });
  if (claim?.state === "conflict") return fail({ reason: "idempotency_conflict" });

  let accepted: Awaited<ReturnType<typeof acceptMessages>>;
  try {
    accepted = await acceptMessages(config, env, queue, messages, queue.config.mode === "buffered" ? delivery : undefined);
  } catch (err) {
    await claim?.release();
    // Direct mode: whatever the upstream said, the sender is told to retry (nothing was enqueued).
    const retryAfter = err instanceof UpstreamError ? err.retryAfterSeconds : undefined;
    return fail({
      reason: "upstream_unavailable",
      retryAfterSeconds: retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS,
      detail: err instanceof Error ? err.message : "unknown",
    });
  }
  if (!accepted.ok) {
    await claim?.release();
    return fail({ reason: "upstream_unavailable", retryAfterSeconds: accepted.retryAfterSeconds, detail: accepted.detail });
  }
  await claim?.complete(messages.map((m) => m.id));
  if (accepted.seen?.state === "conflict") return fail({ reason: "idempotency_conflict" });
  return success(accepted.seen ? { duplicateOf: accepted.seen.ids } : {});
}
