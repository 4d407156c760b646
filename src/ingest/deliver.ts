/**
 * The single place where ingest hands accepted messages over, deduplicating deliveries on the
 * way with one mechanism for every mode: the queue's buffer shard that the deliveries' shard key
 * names remembers them. A request hands over parcels (src/buffer/types.ts): a webhook or a keyed
 * batch is one, a Segment batch one per event.
 *  - Buffered queues: one call to that shard, which screens and records every delivery in the
 *    transaction that stores the new messages, so a request is all or nothing.
 *  - Direct and direct-first queues: one claim on that shard (a row per delivery, nothing else),
 *    then the new messages are pushed upstream in batches (direct-first spills what the queue did
 *    not take into the buffer); claims whose messages reached neither are forgotten, so the
 *    sender's retry delivers them once.
 * A key repeated within one request is handed over once; its copies share the first's outcome.
 */
import { acceptMessages, DEFAULT_RETRY_AFTER_SECONDS, homeShard } from "../buffer/accept";
import { shardStub } from "../buffer/shards";
import { type Delivery, type EnqueueResult, type Parcel, rememberedIds, type Seen } from "../buffer/types";
import type { GatewayConfig } from "../config/schema";
import { fail, type Result, success } from "../lib/result";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, messageBytes } from "../queues/limits";
import { type ResolvedQueue, resolveQueue } from "../queues/resolve";
import { UpstreamError } from "../queues/upstreams/upstream-error";

/** What became of one parcel: stored now, or seen before (duplicate with its first ids, or conflict). */
export type Outcome = { state: "new" } | Seen;

const NEW: Outcome = { state: "new" };
/** Tries to drop failed claims before giving up (a shard being reset refuses a call or two). */
const FORGET_ATTEMPTS = 5;
const FORGET_BACKOFF_MS = 25;

export async function deliver(
  config: GatewayConfig,
  env: Env,
  queueName: string,
  parcels: Parcel[],
): Promise<Result<Outcome[]>> {
  const { unique, slot } = foldRepeats(parcels);
  const queue = resolveQueue(config, queueName);
  const outcomes =
    queue.config.mode === "buffered"
      ? await deliverBuffered(config, env, queue, unique)
      : await deliverDirect(config, env, queue, unique);
  if (!outcomes.ok) return outcomes;
  return success(parcels.map((parcel, i) => outcomeOf(parcel, unique[slot[i]!]!, outcomes.value[slot[i]!]!)));
}

async function deliverBuffered(
  config: GatewayConfig,
  env: Env,
  queue: ResolvedQueue,
  parcels: Parcel[],
): Promise<Result<Outcome[]>> {
  const accepted = await attempt(() => acceptMessages(config, env, queue, parcels));
  if (!accepted.ok) return accepted;
  const result = accepted.value;
  if (!result.ok)
    return fail({ reason: "upstream_unavailable", retryAfterSeconds: result.retryAfterSeconds, detail: result.detail });
  return success(result.seen.map((seen) => seen ?? NEW));
}

async function deliverDirect(
  config: GatewayConfig,
  env: Env,
  queue: ResolvedQueue,
  parcels: Parcel[],
): Promise<Result<Outcome[]>> {
  const keyed = parcels.filter((p) => p.delivery);
  const shard = keyed.length ? homeShard(env, queue, keyed) : undefined;
  const home = shard?.stub;
  const claimOf = new Map<Parcel, Outcome>();
  if (home) {
    // Only the keys and message ids travel to the shard: the bodies go straight to the queue.
    const claims = keyed.map((p) => ({ delivery: p.delivery!, ids: rememberedIds(p) }));
    const claimed = await attempt(async (): Promise<EnqueueResult> => home.claim(queue.name, claims));
    if (!claimed.ok) {
      // The call failed, but the claim may have been written before its answer was lost (an
      // object reset mid-call): the sender's retry would then be a "duplicate" of messages that
      // never moved. Drop it, as for a failed push.
      await forget(
        () => shardStub(env, queue.name, shard!.index),
        claims.map((c) => c.delivery.key),
      ).catch(() => undefined);
      return claimed;
    }
    const result = claimed.value;
    // Claims carry no messages, so backpressure never refuses them.
    if (!result.ok)
      return fail({
        reason: "upstream_unavailable",
        retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
        detail: "claim refused",
      });
    for (const [i, parcel] of keyed.entries()) claimOf.set(parcel, result.seen[i] ?? NEW);
  }
  const outcomes = parcels.map((p) => claimOf.get(p) ?? NEW);
  const groups = packForUpstream(parcels.filter((_, i) => outcomes[i]!.state === "new"));
  for (const [n, group] of groups.entries()) {
    const pushed = await attempt(() => acceptMessages(config, env, queue, group));
    if (!pushed.ok || !pushed.value.ok) {
      // Neither the queue nor the buffer has these: forget their claims so the retry goes through.
      const lost = groups
        .slice(n)
        .flat()
        .flatMap((p) => (p.delivery ? [p.delivery.key] : []));
      if (shard && lost.length) await forget(() => shardStub(env, queue.name, shard.index), lost);
      if (!pushed.ok) return pushed;
      const refused = pushed.value as Extract<typeof pushed.value, { ok: false }>;
      return fail({
        reason: "upstream_unavailable",
        retryAfterSeconds: refused.retryAfterSeconds,
        detail: refused.detail,
      });
    }
  }
  return success(outcomes);
}

/**
 * Drops claims whose messages were not kept. It must not be skipped: a claim left behind would
 * answer the sender's retry as a duplicate of messages that never arrived. A shard being reset
 * refuses a call or two, so it is retried, each time on a fresh stub (a stub whose object was
 * reset stays broken); the sender still gets 503 either way.
 */
async function forget(stub: () => ReturnType<typeof shardStub>, keys: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await stub().forget(keys);
      return;
    } catch (err) {
      if (attempt >= FORGET_ATTEMPTS) throw err;
      // A reset object comes back within moments: wait a little longer each time (25, 50, 100, 200 ms).
      await new Promise((resolve) => setTimeout(resolve, FORGET_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
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
  return firstOutcome.state === "duplicate"
    ? firstOutcome
    : { state: "duplicate", ids: first.messages.map((m) => m.id) };
}

const samePayload = (a: Delivery | undefined, b: Delivery | undefined) => a?.payload_hash === b?.payload_hash;
