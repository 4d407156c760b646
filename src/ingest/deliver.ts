/**
 * The single place where ingest hands accepted messages over: to the queue's durable buffer, or
 * straight upstream for direct queues (src/buffer/accept.ts). A request produces at most one
 * upstream batch, so in direct mode it is still all or nothing.
 */
import { DEFAULT_RETRY_AFTER_SECONDS, acceptMessages } from "../buffer/accept";
import type { BufferedMessage } from "../buffer/shard";
import type { GatewayConfig } from "../config/schema";
import { resolveQueue } from "../queues/resolve";
import { UpstreamError } from "../queues/upstream-error";
import { type Result, fail, success } from "./result";

export async function deliver(config: GatewayConfig, env: Env, queue: string, messages: BufferedMessage[]): Promise<Result<void>> {
  let accepted: Awaited<ReturnType<typeof acceptMessages>>;
  try {
    accepted = await acceptMessages(config, env, resolveQueue(config, queue), messages);
  } catch (err) {
    // Direct mode: whatever the upstream said, the sender is told to retry (nothing was enqueued).
    const retryAfter = err instanceof UpstreamError ? err.retryAfterSeconds : undefined;
    return fail({ reason: "upstream_unavailable", retryAfterSeconds: retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS, detail: err instanceof Error ? err.message : "unknown" });
  }
  return accepted.ok ? success(undefined) : fail({ reason: "upstream_unavailable", retryAfterSeconds: accepted.retryAfterSeconds, detail: accepted.detail });
}
