/**
 * The upstream abstraction: where a queue's messages really live. Every queue route and, later,
 * ingest and the buffer, go through `upstreamFor(queue)`; the kind is chosen per queue in the
 * configuration (local | cloudflare | binding).
 */
import type { QueueSettings } from "../config";
import type { PurgeStatus, QueueInfo } from "../queue-schemas";
import type { ResolvedQueue } from "../resolve";
import type {
  AckRequest,
  AckResult,
  Metrics,
  PeekRequest,
  PeekResult,
  PullRequest,
  PullResult,
  PurgeRequest,
  PurgeResult,
  PushResult,
  QueueMessage,
} from "../schemas";
import { bindingUpstream } from "./binding";
import { localUpstream } from "./local";
import { restUpstream } from "./rest";

export interface Upstream {
  /** Pushes messages already within Cloudflare's per-message and per-batch limits. */
  push(messages: QueueMessage[]): Promise<PushResult>;
  pull(request: PullRequest): Promise<PullResult>;
  ack(request: AckRequest): Promise<AckResult>;
  /** Messages as a pull would see them, without leasing them; each with a ref for purge. */
  peek(request: PeekRequest): Promise<PeekResult>;
  /** Deletes peeked messages by ref; refs that delete nothing come back as warnings. */
  purge(request: PurgeRequest): Promise<PurgeResult>;
  /** The queue's backlog (messages that reached it; not the gateway's buffer). */
  metrics(): Promise<Metrics>;
  /** Deletes every message in the queue; answers the Queue object, as Cloudflare does. */
  purgeAll(): Promise<QueueInfo>;
  purgeStatus(): Promise<PurgeStatus>;
}

/**
 * One upstream per queue, configuration and environment (both live as long as the isolate's
 * configuration does), rather than a fresh set of closures and URLs on every request. The local
 * upstream is built per request: it holds a Durable Object stub, which belongs to its request.
 */
const built = new WeakMap<object, WeakMap<QueueSettings, Map<string, Upstream>>>();

export function upstreamFor(queue: ResolvedQueue, config: QueueSettings, env: Env): Upstream {
  if (queue.config.upstream === "local") return localUpstream(queue.name, config, env);
  const byConfig = cached(built, env, () => new WeakMap<QueueSettings, Map<string, Upstream>>());
  const byQueue = cached(byConfig, config, () => new Map<string, Upstream>());
  return cached(byQueue, queue.name, () => buildUpstream(queue, config, env));
}

interface Cache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

function cached<K, V>(map: Cache<K, V>, key: K, make: () => V): V {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  map.set(key, value);
  return value;
}

function buildUpstream(queue: ResolvedQueue, config: QueueSettings, env: Env): Upstream {
  switch (queue.config.upstream) {
    case "local":
      return localUpstream(queue.name, config, env);
    case "cloudflare":
      return restUpstream(queue, config, env);
    case "binding":
      return bindingUpstream(queue, config, env);
  }
}
