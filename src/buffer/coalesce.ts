/**
 * Coalesces concurrent enqueues of one isolate into one call per buffer shard. The first request
 * for a shard becomes the leader: it waits one turn of the event loop, so requests arriving
 * meanwhile can join, then sends all parts in a single RPC (one transaction in the shard) and
 * hands each request its own result. Under load this divides the per-request cost of reaching a
 * Durable Object by the number of requests coalesced; alone, a request waits for nothing.
 * Requests without a delivery id join whichever shard has an open batch; deduplicated ones go
 * to the shard their delivery id hashes to.
 */
import type { Delivery, EnqueuePart, EnqueueResult } from "./shard";

interface Waiting {
  part: EnqueuePart;
  resolve: (result: EnqueueResult) => void;
  reject: (err: unknown) => void;
}

/** Most parts one call carries, so a burst cannot build an unbounded RPC. */
const MAX_PARTS_PER_CALL = 64;

const open = new Map<string, { queue: string; shard: number; waiting: Waiting[] }>();

export function pickShard(queue: string, shards: number, delivery: Delivery | undefined): number {
  if (delivery) return fnv1a(`${delivery.scope}\u0000${delivery.id}`) % shards;
  for (const batch of open.values()) {
    if (batch.queue === queue && batch.waiting.length < MAX_PARTS_PER_CALL) return batch.shard;
  }
  return Math.floor(Math.random() * shards);
}

export function enqueueCoalesced(
  send: (parts: EnqueuePart[]) => Promise<EnqueueResult[]>,
  queue: string,
  shard: number,
  part: EnqueuePart,
): Promise<EnqueueResult> {
  return new Promise((resolve, reject) => {
    const key = `${queue}/${shard}`;
    const batch = open.get(key);
    if (batch && batch.waiting.length < MAX_PARTS_PER_CALL) {
      batch.waiting.push({ part, resolve, reject });
      return;
    }
    const mine = { queue, shard, waiting: [{ part, resolve, reject }] };
    open.set(key, mine);
    setTimeout(async () => {
      if (open.get(key) === mine) open.delete(key);
      try {
        const results = await send(mine.waiting.map((w) => w.part));
        mine.waiting.forEach((w, i) => w.resolve(results[i] as EnqueueResult));
      } catch (err) {
        for (const w of mine.waiting) w.reject(err);
      }
    }, 0);
  });
}

/** FNV-1a, 32 bits: a stable, well-spread shard choice for a delivery id. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
