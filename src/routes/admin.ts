/**
 * Operator routes (keys with the `admin` scope): the state of the key's queues' buffers, an
 * immediate flush, and the dead letters the upstream refused (listed page by page, replayed,
 * deleted). A key administers only the queues it lists, as it pushes only to those.
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as z from "zod";
import { type ApiKey, allows } from "../auth/keys";
import { DeadLetterEntry } from "../buffer/schemas";
import { shardStub } from "../buffer/shards";
import type { ShardStats } from "../buffer/types";
import type { AppEnv } from "../config/env";
import type { GatewayConfig } from "../config/schema";
import { ErrorCode, GatewayError, ok } from "../http/errors";
import { issuesToError, requireJsonBody, validJson } from "../http/validate";
import { fromBase64, toBase64 } from "../lib/encoding";
import { bearer, documented, envelopeOf, jsonBody, responses } from "../openapi/route-docs";
import { type ResolvedQueue, resolveQueue } from "../queues/resolve";
import { authorize } from "./bearer";

type AdminEnv = AppEnv & { Variables: { queue: ResolvedQueue } };

/** A listing page holds this many dead letters unless `limit` says otherwise, and never more than the max. */
export const DEFAULT_PAGE_ENTRIES = 100;
export const MAX_PAGE_ENTRIES = 1_000;
/** Message bytes per page: about 1 MB, whatever the count (one letter is listed even if larger). */
export const MAX_PAGE_BYTES = 1_000_000;
/** A real cursor is a few dozen characters; anything longer is not one of ours. */
const MAX_CURSOR_CHARS = 200;

const SelectDeadLetters = z.object({ ids: z.array(z.string().min(1)).max(1000).optional() });

/**
 * Where a listing resumes: the shard, and the last seq listed in it. Sent as base64url JSON, which
 * clients treat as opaque; it is validated like any other input.
 */
const Cursor = z.strictObject({ shard: z.number().int().min(0), after: z.number().int().min(0) });
type Cursor = z.infer<typeof Cursor>;

/** The listing's query, for a queue of `shards` shards (a cursor past them is invalid). */
const listQuery = (shards: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_ENTRIES).default(DEFAULT_PAGE_ENTRIES),
    cursor: z
      .string()
      .max(MAX_CURSOR_CHARS)
      .transform((text, ctx) => {
        const cursor = decodeCursor(text);
        if (cursor && cursor.shard < shards) return cursor;
        ctx.addIssue({ code: "custom", message: "Invalid cursor" });
        return z.NEVER;
      })
      .optional(),
  });

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
    /** Since each shard started: calls, rows written, commits and the calls they grouped (what the buffer costs). */
    requests: z.number(),
    rows_written: z.number(),
    commits: z.number(),
    committed_calls: z.number(),
    /** Partial batches shards handed to the queue's collector (shard 0), to push them together. */
    hand_overs: z.number(),
    dead_letters: z.number(),
    /** When the next flush attempt is due after failures (ms since epoch, the latest of the shards'); 0 when none backs off. */
    backoff_until: z.number(),
  }),
});
/** Cloudflare's cursor paging (as KV's key listing): the page's count and the next cursor, null at the end. */
const DeadLetterList = envelopeOf(z.array(DeadLetterEntry)).extend({
  result_info: z.object({ count: z.number().int(), cursor: z.string().nullable() }),
});
const Count = z.object({ count: z.number().int() });

const ADMIN_ERRORS = [401, 403, 404];
const adminDocs = (summary: string, envelope: z.ZodType, options: { body?: z.ZodType; query?: boolean } = {}) =>
  documented({
    tags: ["Admin"],
    summary,
    security: bearer,
    ...(options.body && { requestBody: jsonBody(options.body) }),
    ...(options.query && { parameters: LIST_PARAMETERS }),
    responses: responses(
      { 200: { description: "OK", schema: envelope } },
      options.body ? [...ADMIN_ERRORS, 400, 415] : options.query ? [...ADMIN_ERRORS, 400] : ADMIN_ERRORS,
    ),
  });
const LIST_PARAMETERS = [
  {
    name: "limit",
    in: "query" as const,
    schema: { type: "integer" as const, minimum: 1, maximum: MAX_PAGE_ENTRIES, default: DEFAULT_PAGE_ENTRIES },
  },
  {
    name: "cursor",
    in: "query" as const,
    description: "result_info.cursor of the previous page",
    schema: { type: "string" as const },
  },
];

function shards(env: Env, queue: ResolvedQueue) {
  return Array.from({ length: queue.config.buffer.shards }, (_, i) => ({
    shard: i,
    stub: shardStub(env, queue.name, i),
  }));
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
      requests: sum("requests"),
      rows_written: sum("rows_written"),
      commits: sum("commits"),
      committed_calls: sum("committed_calls"),
      hand_overs: sum("hand_overs"),
      dead_letters: sum("dead_letters"),
      backoff_until: Math.max(0, ...stats.map((s) => s.backoff_until)),
    },
  };
}

/** The same answer whatever was asked for, so a refusal tells nothing about which queues exist. */
const forbidden = () =>
  new GatewayError(403, ErrorCode.AUTHENTICATION, "Forbidden: this key may not administer that queue");

/** Whether the key may address `ref`: one of its queues, by name or by Cloudflare id. */
function mayAddress(config: GatewayConfig, key: ApiKey, ref: string): boolean {
  if (allows(key, "admin", ref)) return true;
  return Object.entries(config.queues).some(
    ([name, queue]) => queue.cloudflare_id === ref && allows(key, "admin", name),
  );
}

/**
 * The `:queue` the key administers. Checked on the reference before resolving it (a key kept to
 * other queues gets 403 for unknown ones too, not 404), then on the resolved name, since a name
 * shadows an id that another queue may have.
 */
const queueAccess: MiddlewareHandler<AdminEnv> = async function queueAccess(c, next) {
  const key = c.get("apiKey") ?? (await authorize(c, "admin"));
  const ref = c.req.param("queue") ?? "";
  if (!mayAddress(c.get("config"), key, ref)) throw forbidden();
  const queue = resolveQueue(c.get("config"), ref);
  if (!allows(key, "admin", queue.name)) throw forbidden();
  c.set("log", { ...c.get("log"), queue: queue.name });
  c.set("queue", queue);
  await next();
};

const json = requireJsonBody(64_000);

export const adminRoutes = new Hono<AdminEnv>()
  // Every operator route needs the admin scope, checked before anything else (the body included).
  .use("*", async function adminOnly(c, next) {
    await authorize(c, "admin");
    await next();
  })
  .get(
    "/queues",
    adminDocs("The key's queues with their buffer state", envelopeOf(z.array(BufferState))),
    async (c) => {
      const key = c.get("apiKey") ?? (await authorize(c, "admin"));
      const queues = Object.entries(c.get("config").queues)
        .filter(([name]) => allows(key, "admin", name))
        .map(([name, config]) => ({ name, config }));
      const result = await Promise.all(
        queues.map(async (queue) =>
          summarize(queue, await Promise.all(shards(c.env, queue).map(({ stub }) => stub.stats()))),
        ),
      );
      return c.json(ok(result));
    },
  )
  .post(
    "/queues/:queue/flush",
    adminDocs("Flush every shard of a queue now", envelopeOf(BufferState)),
    queueAccess,
    async (c) => {
      const queue = c.get("queue");
      const stats = await Promise.all(shards(c.env, queue).map(({ stub }) => stub.flush()));
      return c.json(ok(summarize(queue, stats)));
    },
  )
  .get(
    "/queues/:queue/dead-letters",
    adminDocs("List dead letters, a page at a time", DeadLetterList, { query: true }),
    queueAccess,
    async (c) => {
      const queue = c.get("queue");
      const query = listQuery(queue.config.buffer.shards).safeParse(c.req.query());
      if (!query.success) throw issuesToError(query.error.issues);
      const { entries, next } = await listPage(c, queue, query.data.limit, query.data.cursor ?? { shard: 0, after: 0 });
      return c.json({ ...ok(entries), result_info: { count: entries.length, cursor: next && encodeCursor(next) } });
    },
  )
  .post(
    "/queues/:queue/dead-letters/replay",
    adminDocs("Replay dead letters (all, or those ids)", envelopeOf(Count), { body: SelectDeadLetters }),
    queueAccess,
    json,
    validJson(SelectDeadLetters),
    (c) => countOverShards(c, c.req.valid("json").ids, (stub, ids) => stub.replayDeadLetters(ids)),
  )
  .post(
    "/queues/:queue/dead-letters/delete",
    adminDocs("Delete dead letters (all, or those ids)", envelopeOf(Count), { body: SelectDeadLetters }),
    queueAccess,
    json,
    validJson(SelectDeadLetters),
    (c) => countOverShards(c, c.req.valid("json").ids, (stub, ids) => stub.deleteDeadLetters(ids)),
  );

/**
 * One page, shard after shard from the cursor. Each shard gets what is left of both caps; one
 * that still holds letters past them ends the page there. The next cursor is null only when no
 * shard has any left, so clients page until it is null.
 */
async function listPage(c: Context<AdminEnv>, queue: ResolvedQueue, limit: number, from: Cursor) {
  const entries: DeadLetterEntry[] = [];
  let bytes = 0;
  for (let shard = from.shard; shard < queue.config.buffer.shards; shard++) {
    const page = await shardStub(c.env, queue.name, shard).listDeadLetters({
      after: shard === from.shard ? from.after : 0,
      limit: limit - entries.length,
      max_bytes: MAX_PAGE_BYTES - bytes,
      at_least_one: entries.length === 0,
    });
    for (const letter of page.letters) {
      entries.push({ shard, ...letter });
      bytes += letter.bytes;
    }
    if (page.more) return { entries, next: { shard, after: page.after } };
  }
  return { entries, next: null };
}

function encodeCursor(cursor: Cursor): string {
  return toBase64(JSON.stringify(cursor)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(text: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = fromBase64(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  if (!bytes) return undefined;
  try {
    const parsed = Cursor.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a dead-letter action on every shard of the queue; answers how many messages it touched. */
async function countOverShards(
  c: Context<AdminEnv>,
  ids: string[] | undefined,
  action: (stub: ReturnType<typeof shardStub>, ids?: string[]) => Promise<number>,
) {
  const counts = await Promise.all(shards(c.env, c.get("queue")).map(({ stub }) => action(stub, ids)));
  return c.json(ok({ count: counts.reduce((a, b) => a + b, 0) }));
}
