/**
 * Deduplication for direct-mode queues (buffered queues deduplicate inside their buffer shard):
 * claim the delivery id before pushing, complete it with the message ids after the upstream
 * accepted them, release it when the push failed.
 */
import type { Delivery } from "../buffer/types";
import type { Claim } from "./deduplicator";

export type ClaimHandle = { state: "new"; complete(ids: string[]): Promise<void>; release(): Promise<void> } | Exclude<Claim, { state: "new" }>;

export async function claimDelivery(env: Env, delivery: Delivery): Promise<ClaimHandle> {
  const stub = env.DEDUPLICATOR.get(env.DEDUPLICATOR.idFromName(delivery.scope));
  const claim = await stub.claim(delivery.key, delivery.payload_hash);
  if (claim.state !== "new") return claim;
  return {
    state: "new",
    complete: async (ids) => stub.complete(delivery.key, ids, delivery.payload_hash, delivery.window_seconds),
    release: async () => stub.release(delivery.key),
  };
}
