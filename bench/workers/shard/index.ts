// The capacity row (bench/run.mjs): one buffer shard of the `webhooks` queue, the gateway's own
// BufferShard class, driven over RPC by `concurrency` callers until `calls` enqueues are done,
// each a one-message parcel (with a delivery to remember when `dedup=1`, as a webhook's). No
// HTTP, no verification: what is measured is the shard (group commit, SQLite, its flushes into
// the local queue). Caller and shard share this machine's cores, so it is a floor.
import { shardStub } from "../../../src/buffer/shards";
import type { Parcel } from "../../../src/buffer/types";

export { BufferShard } from "../../../src/buffer/shard";
export { LocalQueue } from "../../../src/queues/local-queue";

const QUEUE = "webhooks";
const BODY = `{"action":"opened","pad":"${"x".repeat(200)}"}`;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/run") return new Response("POST /run?calls=&concurrency=&dedup=&run=", { status: 404 });
    const calls = Number(url.searchParams.get("calls") ?? 5_000);
    const concurrency = Number(url.searchParams.get("concurrency") ?? 32);
    const dedup = url.searchParams.get("dedup") === "1";
    const run = url.searchParams.get("run") ?? "0";
    const stub = shardStub(env, QUEUE, 0);
    const parcel = (n: number): Parcel => {
      const id = `${run}-${n}`.padStart(32, "0");
      return {
        messages: [{ id, message: { body: BODY, content_type: "json" } }],
        ...(dedup && {
          delivery: { key: id, shard_key: id, payload_hash: id, window_seconds: 86_400 },
        }),
      };
    };
    const before = await stub.stats();
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          const result = await stub.enqueue(QUEUE, [parcel(next++)]);
          if (!result.ok) throw new Error("the shard refused an enqueue (backpressure)");
        }
      }),
    );
    const ms = Date.now() - started;
    const after = await stub.stats();
    const commits = after.commits - before.commits;
    return Response.json({
      calls,
      concurrency,
      dedup,
      ms,
      calls_per_second: (calls / ms) * 1000,
      commits_per_second: (commits / ms) * 1000,
      calls_per_commit: (after.committed_calls - before.committed_calls) / commits,
      rows_written_per_call: (after.rows_written - before.rows_written) / calls,
    });
  },
} satisfies ExportedHandler<Env>;
