/**
 * Hands a routed request's messages to each of its queues (rules, src/rules/), as one delivery.
 * `deliver` (./deliver.ts) is called once per queue, in the order the rules named them, with the
 * request's delivery: each queue remembers it on its own, so a retry after a partial failure
 * (A accepted, B answered 503) is a duplicate in A and new in B. The first failure stops the
 * walk and the sender gets 503, so a consumer of A may see a message whose B copy arrives only
 * with the retry.
 *
 * One id per message, the same in every queue, so consumers can correlate copies: a queue that
 * answers duplicate reports the ids it kept, and the later queues get those (queues run one
 * after another for exactly this).
 *
 * Routing is decided once per delivery. Rules may read what the delivery's identity does not
 * cover (GitHub signs the body, not `X-GitHub-Event`), so a replay with other headers could route
 * elsewhere and reach a queue that never saw it. One record in the source's own queue stops that,
 * in a call of their own before any message moves: the delivery's payload hash (another payload
 * is a conflict, 422), remembered with a hash of where each message went in place of message
 * ids. A repeat whose routing differs is answered as a duplicate and goes nowhere; the first
 * routing stands for the window. The price: one more Durable Object call and one row per
 * deduplicated request on a source with rules.
 */
import type { Delivery, Parcel } from "../buffer/types";
import type { GatewayConfig } from "../config/schema";
import { toHex } from "../lib/encoding";
import { fail, type Result, success } from "../lib/result";
import { deliver, type Outcome } from "./deliver";
import type { Normalized } from "./normalize";

export interface FanOutRequest {
  /** The source's own queue: it holds the delivery and routing records. */
  sourceQueue: string;
  /** Per message: its queues, in rule order; empty when dropped. */
  targets: readonly (readonly string[])[];
  /** One per message, with fresh ids. */
  messages: readonly Normalized[];
  /** The same message under another id (one a queue already holds). */
  withId(index: number, id: string): Normalized;
  /** The request's delivery; undefined when the source does not deduplicate it. */
  delivery: Delivery | undefined;
}

/**
 * `accepted`: every queue holds its messages now (some may have had them already); `ids` has one
 * per message, dropped ones included (they went nowhere). `duplicate`: nothing was new anywhere;
 * `ids` are those the queues kept, for the messages that were routed (none when this repeat's
 * routing differed from the first's).
 */
export type FanOut = { state: "accepted"; queues: string[]; ids: string[] } | { state: "duplicate"; ids: string[] };

const encoder = new TextEncoder();
const sha256 = async (text: string) =>
  toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));

export async function fanOut(config: GatewayConfig, env: Env, request: FanOutRequest): Promise<Result<FanOut>> {
  const { sourceQueue, targets, delivery } = request;
  const messages = [...request.messages];
  const queues = [...new Set(targets.flat())];
  let fresh = false;
  if (delivery) {
    // The record is settled before any message moves: a call of its own, in the source's queue.
    const record = await routingRecord(delivery, targets);
    const recorded = await deliver(config, env, sourceQueue, [record.parcel]);
    if (!recorded.ok) return recorded;
    const [seen] = recorded.value as [Outcome];
    if (seen.state === "conflict") return fail({ reason: "idempotency_conflict" });
    if (seen.state === "duplicate" && seen.ids[0] !== record.routing) return success({ state: "duplicate", ids: [] });
    fresh = seen.state === "new";
  }
  for (const queue of queues) {
    const members = targets.flatMap((t, i) => (t.includes(queue) ? [i] : []));
    const parcel: Parcel = { messages: members.map((i) => messages[i]!), ...(delivery && { delivery }) };
    const delivered = await deliver(config, env, queue, [parcel]);
    if (!delivered.ok) return delivered;
    const outcome = delivered.value[0]!;
    if (outcome.state === "conflict") return fail({ reason: "idempotency_conflict" });
    if (outcome.state === "new") {
      fresh = true;
      continue;
    }
    // A duplicate here: adopt the ids this queue kept, so the queues after it get the same ones.
    if (outcome.ids.length !== members.length) continue;
    members.forEach((item, k) => {
      const id = outcome.ids[k]!;
      if (messages[item]!.id !== id) messages[item] = request.withId(item, id);
    });
  }
  if (delivery && !fresh)
    return success({ state: "duplicate", ids: messages.flatMap((m, i) => (targets[i]!.length ? [m.id] : [])) });
  return success({ state: "accepted", queues, ids: messages.map((m) => m.id) });
}

/**
 * The delivery's routing record (no messages): under a key derived from the delivery's, in its
 * shard, with the delivery's payload hash; the routing hash (each message's queues) is kept as
 * its one "message id", so a repeat learns where the first copy went.
 */
async function routingRecord(
  delivery: Delivery,
  targets: readonly (readonly string[])[],
): Promise<{ parcel: Parcel; routing: string }> {
  const [key, routing] = await Promise.all([sha256(`${delivery.key}\u0000rules`), sha256(JSON.stringify(targets))]);
  return { parcel: { messages: [], delivery: { ...delivery, key }, remember: [routing] }, routing };
}
