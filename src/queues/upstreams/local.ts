/** The local upstream: RPC to the queue's LocalQueue Durable Object. */
import type { QueueSettings } from "../config";
import type { LocalQueuePolicy } from "../local-queue";
import type { QueueInfo } from "../queue-schemas";
import type { Upstream } from "./upstream";

export function localPolicy(name: string, config: QueueSettings, depth = 0): LocalQueuePolicy {
  const queue = config.queues[name];
  if (!queue) throw new Error(`unknown local queue ${name}`);
  const dlq = queue.dead_letter_queue;
  return {
    name,
    max_retries: queue.max_retries,
    retention_seconds: queue.retention_seconds,
    // A chain of dead-letter queues is followed a few hops only; cycles stop there.
    ...(dlq && depth < 4 && { dead_letter: localPolicy(dlq, config, depth + 1) }),
  };
}

export function localQueueStub(env: Env, name: string) {
  return env.LOCAL_QUEUE.get(env.LOCAL_QUEUE.idFromName(name));
}

export function localUpstream(name: string, config: QueueSettings, env: Env): Upstream {
  const policy = localPolicy(name, config);
  const stub = localQueueStub(env, name);
  return {
    push: (messages) => stub.push(policy, messages),
    pull: (request) => stub.pull(policy, request),
    ack: (request) => stub.ack(policy, request),
    peek: (request) => stub.peek(policy, request),
    purge: (request) => stub.purge(policy, request),
    metrics: () => stub.metrics(policy),
    async purgeAll(): Promise<QueueInfo> {
      await stub.purgeAll();
      // The Queue object, as far as a local queue has one.
      return {
        queue_id: config.queues[name]?.cloudflare_id ?? name,
        queue_name: name,
        settings: { message_retention_period: policy.retention_seconds },
      };
    },
    purgeStatus: () => stub.purgeStatus(),
  };
}
