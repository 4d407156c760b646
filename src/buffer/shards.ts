/**
 * Where a queue's buffer shards live: one Durable Object per (queue, index), named `queue/index`.
 * Shard 0 is also the queue's collector: the other shards hand it their partial batches (shard.ts).
 */
export const COLLECTOR_SHARD = 0;

export function shardId(env: Env, queue: string, shard: number): DurableObjectId {
  return env.BUFFER.idFromName(`${queue}/${shard}`);
}

export function shardStub(env: Env, queue: string, shard: number) {
  return env.BUFFER.get(shardId(env, queue, shard));
}
