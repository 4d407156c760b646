/** Finds a configured queue by its name or its Cloudflare id, as the `:queue_id` path segment. */

import { ErrorCode, GatewayError } from "../http/errors";
import type { QueueConfig, QueueSettings } from "./config";

export interface ResolvedQueue {
  name: string;
  config: QueueConfig;
}

const QUEUE_REF = /^[A-Za-z0-9_-]{1,64}$/;

export function resolveQueue(config: QueueSettings, ref: string): ResolvedQueue {
  if (!QUEUE_REF.test(ref)) throw new GatewayError(400, ErrorCode.QUEUE_ID_MALFORMED, "Queue id is malformed");
  const byName = Object.hasOwn(config.queues, ref) ? config.queues[ref] : undefined;
  if (byName) return { name: ref, config: byName };
  for (const [name, queue] of Object.entries(config.queues)) {
    if (queue.cloudflare_id === ref) return { name, config: queue };
  }
  throw new GatewayError(404, ErrorCode.QUEUE_NOT_FOUND, `Queue "${ref}" does not exist`);
}
