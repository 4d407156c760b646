/**
 * RefusalLog: the recent refusals of one queue's ingest sources, one SQLite-backed Durable
 * Object per queue (keys are scoped by queue, so one listing reads one object per queue the key
 * administers). Bounded: each source keeps its last KEEP_PER_SOURCE rows, and only configured
 * sources are ever written (src/refusals/record.ts), so the footprint is sources × that.
 *
 * Why a Durable Object and not memory: isolates are many, per colo, and short-lived in
 * production, so a per-isolate ring buffer would show an operator whichever slice of refusals
 * the isolate that answered happened to see. Writes come fire-and-forget after the answer.
 *
 * Tables
 *   refusals   one row per remembered refusal.
 *     seq          insertion order
 *     source, reason, status, at (ms), request_id   as src/refusals/schemas.ts
 */
import { DurableObject } from "cloudflare:workers";
import { type Migration, migrate } from "../lib/migrations";
import { MAX_FIELD_CHARS, type Refusal } from "./schemas";

/** Rows each source keeps; older ones are deleted as new ones arrive. */
export const KEEP_PER_SOURCE = 100;

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: `CREATE TABLE refusals (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      source TEXT NOT NULL,
      reason TEXT NOT NULL,
      status INTEGER NOT NULL,
      at INTEGER NOT NULL,
      request_id TEXT NOT NULL
    );
    CREATE INDEX refusals_by_source ON refusals (source, seq);`,
  },
];

export function refusalLogStub(env: Env, queue: string) {
  return env.REFUSALS.get(env.REFUSALS.idFromName(queue));
}

export class RefusalLog extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  /** Appends refusals (oldest first), then trims each source they name to its last KEEP_PER_SOURCE. */
  record(rows: Refusal[]): void {
    const cut = (text: string) => text.slice(0, MAX_FIELD_CHARS);
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        this.sql.exec(
          "INSERT INTO refusals (source, reason, status, at, request_id) VALUES (?, ?, ?, ?, ?)",
          cut(r.source),
          cut(r.reason),
          r.status,
          r.at,
          cut(r.request_id),
        );
      }
      for (const source of new Set(rows.map((r) => cut(r.source)))) {
        this.sql.exec(
          "DELETE FROM refusals WHERE source = ?1 AND seq < (SELECT min(seq) FROM (SELECT seq FROM refusals WHERE source = ?1 ORDER BY seq DESC LIMIT ?2))",
          source,
          KEEP_PER_SOURCE,
        );
      }
    });
  }

  /** The newest refusals of these sources, newest first. */
  list(sources: string[], limit: number): Refusal[] {
    // One bound parameter whatever the count (SQLite in Durable Objects binds at most 100).
    return this.sql
      .exec<Refusal>(
        "SELECT source, reason, status, at, request_id FROM refusals WHERE source IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?",
        JSON.stringify(sources),
        limit,
      )
      .toArray();
  }
}
