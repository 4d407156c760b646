/**
 * The buffer shard's storage: the SQLite schema (append-only migrations) and every statement
 * the shard runs, behind small methods. It also keeps the pending count and bytes in memory, so
 * backpressure and flush decisions never count rows.
 *
 * Tables
 *   pending       messages waiting for a flush, in arrival order.
 *     seq, id (gateway id), body, content_type, delay_seconds, bytes (with overhead), enqueued_at (ms)
 *   dead_letters  messages the upstream refused permanently: pending's columns + failed_at, error.
 *   deliveries    delivery ids seen within their idempotency window (ingest deduplication):
 *                 delivery_id (scope-qualified), message_ids (JSON), expires_at (ms).
 *   meta          key/value: 'queue' (the shard's queue), 'attempt' (consecutive failed flushes),
 *                 'backoff_until' (ms), and the counters 'flushes', 'flushed_messages',
 *                 'failed_flushes' since the object was created.
 */
import { messageBytes } from "../queues/limits";
import type { QueueMessage } from "../queues/schemas";
import { type Migration, migrate } from "../storage/migrations";
import type { BufferedMessage, DeadLetter } from "./types";

export type PendingRow = { seq: number; id: string; body: string; content_type: string; delay_seconds: number | null; bytes: number; enqueued_at: number };
export type MetaNumber = "attempt" | "backoff_until" | "flushes" | "flushed_messages" | "failed_flushes";

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: `CREATE TABLE pending (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL,
      body TEXT NOT NULL,
      content_type TEXT NOT NULL,
      delay_seconds INTEGER,
      bytes INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL
    );
    CREATE TABLE dead_letters (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL,
      body TEXT NOT NULL,
      content_type TEXT NOT NULL,
      delay_seconds INTEGER,
      bytes INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL,
      failed_at INTEGER NOT NULL,
      error TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value);`,
  },
  {
    id: 2,
    sql: `CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY, message_ids TEXT NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX deliveries_expiry ON deliveries (expires_at);`,
  },
];

const PURGE_SLICE_ROWS = 1_000;
const MAX_ERROR_CHARS = 500;

export class ShardTables {
  pendingMessages = 0;
  pendingBytes = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {}

  /** Runs the migrations and loads the in-memory totals (call under blockConcurrencyWhile). */
  open(): void {
    migrate(this.storage, MIGRATIONS);
    this.reloadTotals();
  }

  /** Recounts pending rows: after opening, and after a transaction that failed midway. */
  reloadTotals(): void {
    const totals = this.sql.exec<{ n: number; b: number }>("SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM pending").one();
    this.pendingMessages = totals.n;
    this.pendingBytes = totals.b;
  }

  insertPending({ id, message }: BufferedMessage, enqueuedAt: number): void {
    this.insertRow(id, message.body, message.content_type, message.delay_seconds ?? null, enqueuedAt);
  }

  firstPending(limit: number): PendingRow[] {
    return this.sql.exec<PendingRow>("SELECT * FROM pending ORDER BY seq LIMIT ?", limit).toArray();
  }

  /** Rows are appended in time order: the first by seq is the oldest. */
  oldestEnqueuedAt(): number | null {
    return this.sql.exec<{ t: number }>("SELECT enqueued_at AS t FROM pending ORDER BY seq LIMIT 1").toArray()[0]?.t ?? null;
  }

  removePending(row: Pick<PendingRow, "seq" | "bytes">): void {
    // The row may already be gone (a concurrent operator flush); the totals must not drift.
    if (this.sql.exec("DELETE FROM pending WHERE seq = ?", row.seq).rowsWritten === 0) return;
    this.pendingMessages--;
    this.pendingBytes -= row.bytes;
  }

  seenDelivery(key: string, now: number): string[] | undefined {
    const row = this.sql.exec<{ message_ids: string }>("SELECT message_ids FROM deliveries WHERE delivery_id = ? AND expires_at > ?", key, now).toArray()[0];
    return row ? JSON.parse(row.message_ids) : undefined;
  }

  recordDelivery(key: string, ids: string[], expiresAt: number): void {
    this.sql.exec("INSERT OR REPLACE INTO deliveries (delivery_id, message_ids, expires_at) VALUES (?, ?, ?)", key, JSON.stringify(ids), expiresAt);
  }

  /** Deletes a slice of expired delivery ids; returns when the next one expires (or null). */
  purgeDeliveries(now: number): number | null {
    this.sql.exec("DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE expires_at <= ? LIMIT ?)", now, PURGE_SLICE_ROWS);
    return this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM deliveries").one().t;
  }

  deadLetter(row: PendingRow, error: string, failedAt: number): void {
    this.sql.exec(
      "INSERT INTO dead_letters (seq, id, body, content_type, delay_seconds, bytes, enqueued_at, failed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      row.seq,
      row.id,
      row.body,
      row.content_type,
      row.delay_seconds,
      row.bytes,
      row.enqueued_at,
      failedAt,
      error.slice(0, MAX_ERROR_CHARS),
    );
    this.removePending(row);
  }

  listDeadLetters(limit: number): DeadLetter[] {
    return this.sql
      .exec<DeadLetter & Record<string, SqlStorageValue>>(
        "SELECT id, content_type, bytes, enqueued_at, failed_at, error, body FROM dead_letters ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray();
  }

  countDeadLetters(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letters").one().n;
  }

  /** Dead letters (all, or those ids) back to pending, as new arrivals; returns how many. */
  replayDeadLetters(ids: string[] | undefined, now: number): number {
    const rows = this.selectDead(ids);
    for (const row of rows) {
      this.insertRow(row.id, row.body, row.content_type, row.delay_seconds, now);
      this.sql.exec("DELETE FROM dead_letters WHERE seq = ?", row.seq);
    }
    return rows.length;
  }

  deleteDeadLetters(ids: string[] | undefined): number {
    const rows = this.selectDead(ids);
    for (const row of rows) this.sql.exec("DELETE FROM dead_letters WHERE seq = ?", row.seq);
    return rows.length;
  }

  meta(key: MetaNumber): number {
    const row = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? Number(row.value) : 0;
  }

  metaText(key: "queue"): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  setMeta(key: MetaNumber | "queue", value: string | number): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  bump(key: MetaNumber, by: number): void {
    this.setMeta(key, this.meta(key) + by);
  }

  private insertRow(id: string, body: string, contentType: string, delaySeconds: number | null, enqueuedAt: number): void {
    const bytes = messageBytes(body);
    this.sql.exec(
      "INSERT INTO pending (id, body, content_type, delay_seconds, bytes, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      body,
      contentType,
      delaySeconds,
      bytes,
      enqueuedAt,
    );
    this.pendingMessages++;
    this.pendingBytes += bytes;
  }

  private selectDead(ids?: string[]): PendingRow[] {
    const rows = this.sql.exec<PendingRow>("SELECT * FROM dead_letters ORDER BY seq").toArray();
    return ids ? rows.filter((row) => ids.includes(row.id)) : rows;
  }
}

/** A pending row as a message; its delay counts from acceptance, not from the flush. */
export function toMessage(row: PendingRow, now: number): QueueMessage {
  const message: QueueMessage = { body: row.body, content_type: row.content_type as QueueMessage["content_type"] };
  if (row.delay_seconds !== null) message.delay_seconds = Math.max(0, row.delay_seconds - Math.floor((now - row.enqueued_at) / 1000));
  return message;
}
