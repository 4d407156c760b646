/**
 * The upstream abstraction: where a queue's messages really live. Every queue route and, later,
 * ingest and the buffer, go through `upstreamFor(queue)`; the kind is chosen per queue in the
 * configuration (local | cloudflare | binding).
 */
import type { GatewayConfig } from "../../config/schema";
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

export function upstreamFor(queue: ResolvedQueue, config: GatewayConfig, env: Env): Upstream {
  switch (queue.config.upstream) {
    case "local":
      return localUpstream(queue.name, config, env);
    case "cloudflare":
      return restUpstream(queue, config, env);
    case "binding":
      return bindingUpstream(queue, config, env);
  }
}
