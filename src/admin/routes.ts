/**
 * Operator routes (keys with the `admin` scope): the state of every queue's buffer, an immediate
 * flush, and the dead letters the upstream refused (list, replay, delete).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { authorize } from "../auth/bearer";
import { shardStub } from "../buffer/accept";
import type { DeadLetter, ShardStats } from "../buffer/types";
import type { AppEnv } from "../env";
import { ok } from "../http/errors";
import { requireJsonBody, validJson } from "../http/validate";
import { bearer, documented, envelopeOf, jsonBody, responses } from "../openapi/describe";
import { type ResolvedQueue, resolveQueue } from "../queues/resolve";

const SelectDeadLetters = z.object({ ids: z.array(z.string().min(1)).max(1000).optional() });

const BufferState = z.object({
  name: z.string(),
  upstream: z.string(),
  mode: z.string(),
  buffer: z.object({
    shards: z.number(),
    pending_messages: z.number(),
    pending_bytes: z.number(),
    oldest_pending_ms: z.number(),
    flushes: z.number(),
    flushed_messages: z.number(),
    failed_flushes: z.number(),
    dead_letters: z.number(),
  }),
});
const DeadLetterEntry = z.object({
  shard: z.number(),
  id: z.string(),
  content_type: z.string(),
  bytes: z.number(),
  enqueued_at: z.number(),
  failed_at: z.number(),
  error: z.string(),
  body: z.string(),
});
const ADMIN_ERRORS = [401, 403, 404];
const Count = z.object({ count: z.number().int() });
const describe = (summary: string, result: z.ZodType, body?: z.ZodType) =>
  documented({
    tags: ["Admin"],
    summary,
    security: bearer,
    ...(body && { requestBody: jsonBody(body) }),
    responses: responses({ 200: { description: "OK", schema: envelopeOf(result) } }, body ? [...ADMIN_ERRORS, 400, 415] : ADMIN_ERRORS),
  });
const MAX_LISTED_DEAD_LETTERS = 1000;

function shards(c: Context<AppEnv>, queue: ResolvedQueue) {
  return Array.from({ length: queue.config.buffer.shards }, (_, i) => ({ shard: i, stub: shardStub(c.env, queue.name, i) }));
}

function summarize(queue: ResolvedQueue, stats: ShardStats[]) {
  const sum = (key: keyof ShardStats) => stats.reduce((n, s) => n + s[key], 0);
  return {
    name: queue.name,
    upstream: queue.config.upstream,
    mode: queue.config.mode,
    buffer: {
      shards: queue.config.buffer.shards,
      pending_messages: sum("pending_messages"),
      pending_bytes: sum("pending_bytes"),
      oldest_pending_ms: Math.max(0, ...stats.map((s) => s.oldest_pending_ms)),
      flushes: sum("flushes"),
      flushed_messages: sum("flushed_messages"),
      failed_flushes: sum("failed_flushes"),
      dead_letters: sum("dead_letters"),
    },
  };
}

async function adminQueue(c: Context<AppEnv>): Promise<ResolvedQueue> {
  const queue = resolveQueue(c.var.config, c.req.param("queue") ?? "");
  c.set("log", { ...c.var.log, queue: queue.name });
  return queue;
}

const json = requireJsonBody(64_000);

export const adminRoutes = new Hono<AppEnv>()
  // Every operator route needs the admin scope, checked before anything else (the body included).
  .use("*", async function adminOnly(c, next) {
    await authorize(c, "admin");
    await next();
  })
  .get("/queues", describe("Every queue with its buffer state", z.array(BufferState)), async (c) => {
    const queues = Object.entries(c.var.config.queues).map(([name, config]) => ({ name, config }));
    const result = await Promise.all(queues.map(async (queue) => summarize(queue, await Promise.all(shards(c, queue).map(({ stub }) => stub.stats())))));
    return c.json(ok(result));
  })
  .post("/queues/:queue/flush", describe("Flush every shard of a queue now", BufferState), async (c) => {
    const queue = await adminQueue(c);
    const stats = await Promise.all(shards(c, queue).map(({ stub }) => stub.flush()));
    return c.json(ok(summarize(queue, stats)));
  })
  .get("/queues/:queue/dead-letters", describe("List dead letters", z.array(DeadLetterEntry)), async (c) => {
    const queue = await adminQueue(c);
    const lists = await Promise.all(
      shards(c, queue).map(async ({ shard, stub }) => (await stub.listDeadLetters(MAX_LISTED_DEAD_LETTERS)).map((d: DeadLetter) => ({ shard, ...d }))),
    );
    return c.json(ok(lists.flat().slice(0, MAX_LISTED_DEAD_LETTERS)));
  })
  .post(
    "/queues/:queue/dead-letters/replay",
    describe("Replay dead letters (all, or those ids)", Count, SelectDeadLetters),
    json,
    validJson(SelectDeadLetters),
    (c) => countOverShards(c, c.req.valid("json").ids, (stub, ids) => stub.replayDeadLetters(ids)),
  )
  .post(
    "/queues/:queue/dead-letters/delete",
    describe("Delete dead letters (all, or those ids)", Count, SelectDeadLetters),
    json,
    validJson(SelectDeadLetters),
    (c) => countOverShards(c, c.req.valid("json").ids, (stub, ids) => stub.deleteDeadLetters(ids)),
  );

/** Runs a dead-letter action on every shard of the queue; answers how many messages it touched. */
async function countOverShards(c: Context<AppEnv>, ids: string[] | undefined, action: (stub: ReturnType<typeof shardStub>, ids?: string[]) => Promise<number>) {
  const queue = await adminQueue(c);
  const counts = await Promise.all(shards(c, queue).map(({ stub }) => action(stub, ids)));
  return c.json(ok({ count: counts.reduce((a, b) => a + b, 0) }));
}
