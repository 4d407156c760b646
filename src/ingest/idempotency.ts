/**
 * Deduplication for direct-mode queues (buffered queues deduplicate inside their buffer shard):
 * claim the deliveries before pushing, complete each once the upstream accepted its messages,
 * release the rest when a push failed. One Deduplicator call per step, however many deliveries
 * a request carries (they share its source, and so one Deduplicator object).
 */
import type { Delivery } from "../buffer/types";
import type { Claim } from "./deduplicator";

export interface Claims {
  /** One per delivery asked for, in order. */
  claims: Claim[];
  complete(done: { delivery: Delivery; ids: string[] }[]): Promise<void>;
  release(deliveries: Delivery[]): Promise<void>;
}

export async function claimDeliveries(env: Env, deliveries: Delivery[]): Promise<Claims> {
  const first = deliveries[0];
  if (!first) return { claims: [], complete: async () => {}, release: async () => {} };
  const stub = env.DEDUPLICATOR.get(env.DEDUPLICATOR.idFromName(first.scope));
  const claims = await stub.claim(deliveries.map((d) => ({ key: d.key, payload_hash: d.payload_hash })));
  return {
    claims,
    complete: async (done) => {
      if (done.length === 0) return;
      await stub.complete(
        done.map(({ delivery, ids }) => ({ key: delivery.key, ids, payload_hash: delivery.payload_hash, window_seconds: delivery.window_seconds })),
      );
    },
    release: async (released) => {
      if (released.length === 0) return;
      await stub.release(released.map((d) => d.key));
    },
  };
}
