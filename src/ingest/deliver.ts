/**
 * The single place where ingest hands accepted messages over, deduplicating deliveries on the
 * way. A request hands over parcels (src/buffer/types.ts): a webhook or a keyed batch is one,
 * a Segment batch one per event. Buffered queues: one call to one buffer shard, which checks and
 * records every delivery in the same transaction that stores the new messages, so a request is
 * all or nothing (the shard is chosen by the deliveries' shard key, so repeats meet the shard
 * that remembers them). Direct queues: the Deduplicator claims every delivery in one call, the
 * new messages are pushed in upstream batches, each batch's claims are completed once it is
 * pushed, and the others released when a push fails, so the sender's retry delivers them once.
 * A key repeated within one request is handed over once; its copies share the first's outcome.
 */
import { acceptMessages, DEFAULT_RETRY_AFTER_SECONDS } from "../buffer/accept";
import type { Delivery, Parcel, Seen } from "../buffer/types";
import type { GatewayConfig } from "../config/schema";
import { fail, type Result, success } from "../lib/result";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, messageBytes } from "../queues/limits";
import { type ResolvedQueue, resolveQueue } from "../queues/resolve";
import { UpstreamError } from "../queues/upstream-error";
import { claimDeliveries } from "./idempotency";

/** What became of one parcel: stored now, or seen before (duplicate with its first ids, or conflict). */
export type Outcome = { state: "new" } | Seen;

const NEW: Outcome = { state: "new" };

export async function deliver(config: GatewayConfig, env: Env, queueName: string, parcels: Parcel[]): Promise<Result<Outcome[]>> {
  const { unique, slot } = foldRepeats(parcels);
  const queue = resolveQueue(config, queueName);
  const outcomes = queue.config.mode === "direct" ? await deliverDirect(config, env, queue, unique) : await deliverBuffered(config, env, queue, unique);
  if (!outcomes.ok) return outcomes;
  return success(parcels.map((parcel, i) => outcomeOf(parcel, unique[slot[i]!]!, outcomes.value[slot[i]!]!)));
}

async function deliverBuffered(config: GatewayConfig, env: Env, queue: ResolvedQueue, parcels: Parcel[]): Promise<Result<Outcome[]>> {
  const accepted = await attempt(() => acceptMessages(config, env, queue, parcels));
  if (!accepted.ok) return accepted;
  const result = accepted.value;
  if (!result.ok) return fail({ reason: "upstream_unavailable", retryAfterSeconds: result.retryAfterSeconds, detail: result.detail });
  return success(result.seen.map((seen) => seen ?? NEW));
}

async function deliverDirect(config: GatewayConfig, env: Env, queue: ResolvedQueue, parcels: Parcel[]): Promise<Result<Outcome[]>> {
  const keyed = parcels.flatMap((p) => (p.delivery ? [p.delivery] : []));
  const claimed = await claimDeliveries(env, keyed);
  const claimOf = new Map(keyed.map((delivery, i) => [delivery, claimed.claims[i]!]));
  const claims = parcels.map((p) => (p.delivery ? claimOf.get(p.delivery)! : NEW));
  const pending = parcels.filter((_, i) => claims[i]!.state === "new");
  const ours = (list: Parcel[]) => list.flatMap((p) => (p.delivery ? [p.delivery] : []));
  if (claims.some((c) => c.state === "in_progress")) {
    await claimed.release(ours(pending));
    return fail({ reason: "delivery_in_progress" });
  }
  const groups = packForUpstream(pending);
  for (const [n, group] of groups.entries()) {
    const pushed = await attempt(() => acceptMessages(config, env, queue, group));
    if (!pushed.ok) {
      await claimed.release(ours(groups.slice(n).flat()));
      return pushed;
    }
    await claimed.complete(group.flatMap((p) => (p.delivery ? [{ delivery: p.delivery, ids: p.messages.map((m) => m.id) }] : [])));
  }
  return success(claims.map((c) => (c.state === "duplicate" || c.state === "conflict" ? c : NEW)));
}

/** Runs one hand-over; whatever went wrong, the sender is told to retry (nothing of this attempt was kept). */
async function attempt<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return success(await work());
  } catch (err) {
    const retryAfter = err instanceof UpstreamError ? err.retryAfterSeconds : undefined;
    return fail({
      reason: "upstream_unavailable",
      retryAfterSeconds: retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS,
      detail: err instanceof Error ? err.message : "unknown",
    });
  }
}

/** Parcels in order, grouped so each group is one upstream batch (a parcel is never split: ingest caps one at a batch). */
function packForUpstream(parcels: Parcel[]): Parcel[][] {
  const groups: Parcel[][] = [];
  let group: Parcel[] = [];
  let count = 0;
  let bytes = 0;
  for (const parcel of parcels) {
    const size = parcel.messages.reduce((n, m) => n + messageBytes(m.message.body), 0);
    if (group.length > 0 && (count + parcel.messages.length > MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      groups.push(group);
      group = [];
      count = 0;
      bytes = 0;
    }
    group.push(parcel);
    count += parcel.messages.length;
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** The first parcel of each delivery key (and every parcel without one); slot[i] is parcel i's first. */
function foldRepeats(parcels: Parcel[]): { unique: Parcel[]; slot: number[] } {
  const firstOf = new Map<string, number>();
  const unique: Parcel[] = [];
  const slot: number[] = [];
  for (const parcel of parcels) {
    const key = parcel.delivery?.key;
    const first = key === undefined ? undefined : firstOf.get(key);
    if (first !== undefined) {
      slot.push(first);
      continue;
    }
    if (key !== undefined) firstOf.set(key, unique.length);
    slot.push(unique.length);
    unique.push(parcel);
  }
  return { unique, slot };
}

/** A parcel's outcome: its own, or for a repeat, its first copy's (a duplicate of it, or a conflict with another payload). */
function outcomeOf(parcel: Parcel, first: Parcel, firstOutcome: Outcome): Outcome {
  if (parcel === first) return firstOutcome;
  if (!samePayload(parcel.delivery, first.delivery) || firstOutcome.state === "conflict") return { state: "conflict" };
  return firstOutcome.state === "duplicate" ? firstOutcome : { state: "duplicate", ids: first.messages.map((m) => m.id) };
}

const samePayload = (a: Delivery | undefined, b: Delivery | undefined) => a?.payload_hash === b?.payload_hash;
