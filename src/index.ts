import { app } from "./app";

export { BufferShard } from "./buffer/shard";
export { LocalQueue } from "./queues/local-queue";
export { RefusalLog } from "./refusals/store";
export { RuleCounters } from "./rules/counter-store";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
