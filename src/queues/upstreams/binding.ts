/**
 * The binding upstream: pushes through a queue producer binding (`sendBatch`); everything else
 * (pull, ack, peek, purge, metrics, purging the queue) goes through the REST API, since a
 * producer binding can only send. Content types stay `json`/`text` (never `v8`, which pull
 * consumers cannot read).
 */
import type { QueueSettings } from "../config";
import { parseExact } from "../exact-json";
import type { ResolvedQueue } from "../resolve";
import { restUpstream } from "./rest";
import type { Upstream } from "./upstream";
import { UpstreamError } from "./upstream-error";

export function bindingUpstream(queue: ResolvedQueue, config: QueueSettings, env: Env): Upstream {
  const rest = restUpstream(queue, config, env);
  const producer = (env as unknown as Record<string, Queue | undefined>)[queue.config.binding ?? ""];
  return {
    ...rest,
    async push(messages) {
      if (typeof producer?.sendBatch !== "function") {
        throw UpstreamError.unavailable(`queue binding "${queue.config.binding}" is missing from wrangler.toml`);
      }
      try {
        await withTimeout(
          producer.sendBatch(
            messages.map((m) => ({
              body: m.content_type === "json" ? parseExact(m.body) : m.body,
              contentType: m.content_type,
              ...(m.delay_seconds !== undefined && { delaySeconds: m.delay_seconds }),
            })),
          ),
          config.api_timeout_ms,
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : "unknown";
        // Binding errors end with Cloudflare's code in parentheses; message-level codes are permanent.
        const code = Number(/\((\d+)\)\s*$/.exec(message)?.[1]);
        if (code >= 10202 && code <= 10208)
          throw new UpstreamError(400, [{ code, message: `queue binding refused the batch: ${message}` }]);
        throw UpstreamError.unavailable(`queue binding refused the batch: ${message}`);
      }
      // A binding reports no backlog; metrics are best effort (0 = unknown), as in the contract.
      return { metadata: { metrics: { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 } } };
    },
  };
}

/** A send that hangs counts as failed after the configured timeout (it may still land: at least once). */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`send timed out after ${ms} ms`)), ms);
  });
  // A send that loses the race still settles later: its rejection is expected, not unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
