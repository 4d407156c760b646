/**
 * Deduplication of deliveries around the enqueue: claim the delivery id first, complete it with
 * the message ids after the queue accepted them, release it when enqueueing failed (so the
 * sender's retry goes through). Without a delivery id or with a 0 s window, every request is new.
 */
import type { Claim } from "./deduplicator";
import type { SourceConfig } from "./source-schema";

export type ClaimHandle =
  | { state: "new"; complete(ids: string[]): Promise<void>; release(): Promise<void> }
  | Exclude<Claim, { state: "new" }>;

const MAX_DELIVERY_ID_LENGTH = 256;
const noop = async () => {};

export async function claimDelivery(env: Env, sourceName: string, source: SourceConfig, deliveryId: string | null): Promise<ClaimHandle> {
  const window = source.idempotency_window_seconds;
  if (!deliveryId || window === 0) return { state: "new", complete: noop, release: noop };
  const id = deliveryId.slice(0, MAX_DELIVERY_ID_LENGTH);
  const stub = env.DEDUPLICATOR.get(env.DEDUPLICATOR.idFromName(sourceName));
  const claim = await stub.claim(id);
  if (claim.state !== "new") return claim;
  return {
    state: "new",
    complete: async (ids) => stub.complete(id, ids, window),
    release: async () => stub.release(id),
  };
}
