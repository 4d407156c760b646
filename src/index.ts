import { app } from "./app";

export { BufferShard } from "./buffer/shard";
export { Deduplicator } from "./ingest/deduplicator";
export { LocalQueue } from "./queues/local-queue";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
