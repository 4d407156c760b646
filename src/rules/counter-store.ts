/**
 * RuleCounters: one small SQLite-backed Durable Object per source with rules, holding the sums
 * its isolates flush (./counters.ts): how many events the rules saw, how many went to the default
 * queue or were dropped, and per rule how often it matched, routed and dropped. It is written at
 * most once per isolate per flush interval (or per FLUSH_EVENTS events), never per request, and
 * read by `GET /admin/sources`.
 *
 * Tables
 *   counters   one row per counter.
 *     name        `events`, `defaulted`, `dropped`, or `rule:<index>:<fingerprint>:<matched|routed|dropped>`:
 *                 the fingerprint is of the rule's declaration, so editing a rule starts its counts afresh
 *     value       the sum so far
 *     updated_at  ms; counters of rules no longer configured stop being updated and are
 *                 deleted after STALE_AFTER_MS, which keeps the table as small as the rules.
 */
import { DurableObject } from "cloudflare:workers";
import { type Migration, migrate } from "../lib/migrations";

/** Counters not touched for this long belong to rules that were edited away. */
const STALE_AFTER_MS = 90 * 86_400_000;

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL, updated_at INTEGER NOT NULL)",
  },
];

export class RuleCounters extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  /** Adds one flush's sums, all in one transaction. */
  add(deltas: [name: string, value: number][]): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const [name, value] of deltas) {
        this.sql.exec(
          "INSERT INTO counters (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value, updated_at = excluded.updated_at",
          name,
          value,
          now,
        );
      }
      this.sql.exec("DELETE FROM counters WHERE updated_at < ?", now - STALE_AFTER_MS);
    });
  }

  /** The named counters (0 for those never written). */
  read(names: string[]): Record<string, number> {
    const wanted = new Set(names);
    const out: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
    for (const row of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) {
      if (wanted.has(row.name)) out[row.name] = row.value;
    }
    return out;
  }
}
