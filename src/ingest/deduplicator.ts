/**
 * Deduplicator: one SQLite-backed Durable Object per ingest source, remembering delivery ids for
 * the source's idempotency window so a provider's retry is answered as a duplicate instead of
 * enqueued twice (direct-mode queues; buffered queues remember them in their shard). Claims,
 * completions and releases take many deliveries per call: a Segment batch is one per event.
 *
 * Tables
 *   deliveries   one row per delivery seen within its window.
 *     delivery_id   the delivery's key: a SHA-256 of source, caller and id (src/ingest/delivery.ts)
 *     payload_hash  SHA-256 of the payload; the same key with another payload is a conflict
 *     state         'pending' while the first request is being enqueued, then 'done'
 *     message_ids   JSON array of the gateway ids it produced ('done' only)
 *     expires_at    ms; after it the id is forgotten. Pending claims expire after
 *                   PENDING_CLAIM_MS, so a crashed request never blocks its retries for long.
 *
 * The footprint is bounded by the window: an alarm deletes expired rows in slices.
 */
import { DurableObject } from "cloudflare:workers";
import { type Migration, migrate } from "../storage/migrations";

export type Claim = { state: "new" } | { state: "duplicate"; ids: string[] } | { state: "conflict" } | { state: "in_progress" };
export interface ClaimRequest {
  key: string;
  payload_hash: string;
}
export interface Completion extends ClaimRequest {
  ids: string[];
  window_seconds: number;
}

/** How long a claim may stay pending before a retry may take it over. */
export const PENDING_CLAIM_MS = 30_000;
const PURGE_SLICE_ROWS = 5_000;
const PURGE_INTERVAL_MS = 60_000;

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: `CREATE TABLE deliveries (
      delivery_id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      message_ids TEXT,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX deliveries_expiry ON deliveries (expires_at);`,
  },
  { id: 2, sql: "ALTER TABLE deliveries ADD COLUMN payload_hash TEXT" },
];

export class Deduplicator extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  /**
   * Claims deliveries, all in one call (a Segment batch brings one per event); answers each in
   * order. Keys are distinct within a call (src/ingest/deliver.ts folds repeats).
   */
  async claim(entries: ClaimRequest[]): Promise<Claim[]> {
    const now = Date.now();
    const claims: Claim[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const { key, payload_hash } of entries) claims.push(this.claimOne(key, payload_hash, now));
    });
    if (claims.some((c) => c.state === "new")) await this.schedulePurge();
    return claims;
  }

  /** Marks claims done with the ids their messages got, remembered for the window. */
  complete(entries: Completion[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const { key, ids, payload_hash, window_seconds } of entries) {
        this.sql.exec(
          "INSERT OR REPLACE INTO deliveries (delivery_id, state, message_ids, payload_hash, expires_at) VALUES (?, 'done', ?, ?, ?)",
          key,
          JSON.stringify(ids),
          payload_hash,
          Date.now() + window_seconds * 1000,
        );
      }
    });
  }

  /** Drops pending claims whose push failed, so the sender's retry goes through. */
  release(keys: string[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const key of keys) this.sql.exec("DELETE FROM deliveries WHERE delivery_id = ? AND state = 'pending'", key);
    });
  }

  private claimOne(deliveryId: string, payloadHash: string, now: number): Claim {
    const row = this.sql
      .exec<{ state: string; message_ids: string | null; payload_hash: string | null; expires_at: number }>(
        "SELECT state, message_ids, payload_hash, expires_at FROM deliveries WHERE delivery_id = ?",
        deliveryId,
      )
      .toArray()[0];
    if (row && row.expires_at > now) {
      if (row.payload_hash !== null && row.payload_hash !== payloadHash) return { state: "conflict" };
      return row.state === "done" ? { state: "duplicate", ids: JSON.parse(row.message_ids ?? "[]") } : { state: "in_progress" };
    }
    this.sql.exec(
      "INSERT OR REPLACE INTO deliveries (delivery_id, state, message_ids, payload_hash, expires_at) VALUES (?, 'pending', NULL, ?, ?)",
      deliveryId,
      payloadHash,
      now + PENDING_CLAIM_MS,
    );
    return { state: "new" };
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE expires_at <= ? LIMIT ?)", Date.now(), PURGE_SLICE_ROWS);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM deliveries").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + PURGE_INTERVAL_MS);
  }

  private async schedulePurge(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PURGE_INTERVAL_MS);
  }
}
