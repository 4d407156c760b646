import { app } from "./app";

export { LocalQueue } from "./queues/local-queue";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
