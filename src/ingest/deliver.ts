/**
 * The single place where ingest hands accepted messages to their queue. Today it pushes straight
 * to the queue's upstream (one batch: a request produces at most one upstream batch, so it is
 * all or nothing); the durable buffer replaces this function's body.
 */
import type { GatewayConfig } from "../config/schema";
import type { QueueMessage } from "../queues/schemas";
import { resolveQueue } from "../queues/resolve";
import { upstreamFor } from "../queues/upstream";
import { UpstreamError } from "../queues/upstream-error";
import { type Result, fail, success } from "./result";

/** What a sender is told to wait when the queue path failed without saying for how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export async function deliver(config: GatewayConfig, env: Env, queue: string, messages: QueueMessage[]): Promise<Result<void>> {
  try {
    await upstreamFor(resolveQueue(config, queue), config, env).push(messages);
    return success(undefined);
  } catch (err) {
    if (!(err instanceof UpstreamError) && !(err instanceof Error)) throw err;
    const retryAfter = err instanceof UpstreamError ? (err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) : DEFAULT_RETRY_AFTER_SECONDS;
    return fail({ reason: "upstream_unavailable", retryAfterSeconds: retryAfter, detail: err.message });
  }
}
