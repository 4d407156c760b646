/**
 * The buffer shard's storage: the SQLite schema (append-only migrations) and every statement
 * the shard runs, behind small methods. It also keeps the pending count and bytes in memory, so
 * backpressure and flush decisions never count rows.
 *
 * Tables
 *   pending       messages waiting for a flush, in arrival order.
 *     seq, id (gateway id), body, content_type, delay_seconds, bytes (with overhead), enqueued_at (ms)
 *   dead_letters  messages the upstream refused permanently: pending's columns + failed_at, error.
 *   deliveries    deliveries seen within their idempotency window (ingest deduplication):
 *                 delivery_id (the delivery's SHA-256 key, src/ingest/delivery.ts), message_ids
 *                 (JSON), payload_hash (SHA-256 of the payload), expires_at (ms).
 *   meta          key/value: 'queue' (the shard's queue), 'attempt' (consecutive failed flushes),
 *                 'backoff_until' (ms), and the counters 'flushes', 'flushed_messages',
 *                 'failed_flushes' since the object was created.
 */
import { messageBytes } from "../queues/limits";
import type { QueueMessage } from "../queues/schemas";
import { type Migration, migrate } from "../storage/migrations";
import type { BufferedMessage, DeadLetter, DeadLetterPage, DeadLetterQuery, Delivery, Seen } from "./types";

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
  {
    // Replay and delete by id select in SQL; without it each chunk of ids scans the table.
    id: 3,
    sql: "CREATE INDEX dead_letters_id ON dead_letters (id);",
  },
  // Deliveries remember their payload's hash: the same key with another payload is a conflict.
  { id: 4, sql: "ALTER TABLE deliveries ADD COLUMN payload_hash TEXT" },
];

const PURGE_SLICE_ROWS = 1_000;
const MAX_ERROR_CHARS = 500;
/** Durable Object SQL binds at most 100 parameters per statement; one is kept for the time. */
const IDS_PER_STATEMENT = 99;
/** Dead letters replayed or deleted per transaction when acting on all of them. */
const DEAD_SLICE_ROWS = 500;

/** Runs work atomically (the shard's transaction, which also repairs the totals on failure). */
export type Transaction = (work: () => void) => void;
/** Which dead letters one statement acts on: an SQL condition (built from constants and placeholders only) and its parameters. */
type DeadSelection = { where: string; params: string[] };

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

  /** Deletes every pending message (the queue is being purged); returns how many there were. */
  purgePending(): number {
    const purged = this.pendingMessages;
    this.sql.exec("DELETE FROM pending");
    this.pendingMessages = 0;
    this.pendingBytes = 0;
    return purged;
  }

  seenDelivery(delivery: Delivery, now: number): Seen | undefined {
    const row = this.sql
      .exec<{ message_ids: string; payload_hash: string | null }>(
        "SELECT message_ids, payload_hash FROM deliveries WHERE delivery_id = ? AND expires_at > ?",
        delivery.key,
        now,
      )
      .toArray()[0];
    if (!row) return undefined;
    if (row.payload_hash !== null && row.payload_hash !== delivery.payload_hash) return { state: "conflict" };
    return { state: "duplicate", ids: JSON.parse(row.message_ids) };
  }

  recordDelivery(delivery: Delivery, ids: string[], now: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO deliveries (delivery_id, message_ids, payload_hash, expires_at) VALUES (?, ?, ?, ?)",
      delivery.key,
      JSON.stringify(ids),
      delivery.payload_hash,
      now + delivery.window_seconds * 1000,
    );
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

  /**
   * One page of dead letters after a seq, capped by count and by message bytes. The cut is made
   * on the sizes alone, so no body past the page is ever read.
   */
  listDeadLetters({ after, limit, max_bytes, at_least_one }: DeadLetterQuery): DeadLetterPage {
    const sizes = this.sql
      .exec<{ seq: number; bytes: number }>("SELECT seq, bytes FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?", after, limit + 1)
      .toArray();
    let last = after;
    let listed = 0;
    let bytes = 0;
    for (const size of sizes.slice(0, limit)) {
      const fits = bytes + size.bytes <= max_bytes || (listed === 0 && at_least_one);
      if (!fits) break;
      last = size.seq;
      listed++;
      bytes += size.bytes;
    }
    const letters = listed
      ? this.sql
          .exec<DeadLetter & Record<string, SqlStorageValue>>(
            "SELECT id, content_type, bytes, enqueued_at, failed_at, error, body FROM dead_letters WHERE seq > ? AND seq <= ? ORDER BY seq",
            after,
            last,
          )
          .toArray()
      : [];
    return { letters, after: last, more: listed < sizes.length };
  }

  countDeadLetters(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letters").one().n;
  }

  /**
   * Dead letters (all, or those ids) back to pending, as new arrivals; returns how many. Rows are
   * copied inside SQLite, so their bodies never reach the isolate's memory.
   */
  replayDeadLetters(ids: string[] | undefined, now: number, transaction: Transaction): number {
    return this.eachDeadSelection(ids, transaction, ({ where, params }) => {
      const moved = this.sql
        .exec<{ bytes: number }>(
          `INSERT INTO pending (id, body, content_type, delay_seconds, bytes, enqueued_at)
           SELECT id, body, content_type, delay_seconds, bytes, ? FROM dead_letters WHERE ${where} ORDER BY seq RETURNING bytes`,
          now,
          ...params,
        )
        .toArray();
      this.sql.exec(`DELETE FROM dead_letters WHERE ${where}`, ...params);
      this.pendingMessages += moved.length;
      this.pendingBytes += moved.reduce((n, row) => n + row.bytes, 0);
      return moved.length;
    });
  }

  deleteDeadLetters(ids: string[] | undefined, transaction: Transaction): number {
    return this.eachDeadSelection(
      ids,
      transaction,
      ({ where, params }) => this.sql.exec(`DELETE FROM dead_letters WHERE ${where} RETURNING seq`, ...params).toArray().length,
    );
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

  /**
   * Applies `act` to bounded selections, each in its own transaction: chunks of the given ids, or
   * slices of the oldest dead letters until none are left. Sums what `act` counted.
   */
  private eachDeadSelection(ids: string[] | undefined, transaction: Transaction, act: (selection: DeadSelection) => number): number {
    let total = 0;
    const run = (selection: DeadSelection) => {
      let n = 0;
      transaction(() => {
        n = act(selection);
      });
      total += n;
      return n;
    };
    if (ids) {
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        const params = ids.slice(i, i + IDS_PER_STATEMENT);
        run({ where: `id IN (${params.map(() => "?").join(", ")})`, params });
      }
      return total;
    }
    const oldest: DeadSelection = { where: `seq IN (SELECT seq FROM dead_letters ORDER BY seq LIMIT ${DEAD_SLICE_ROWS})`, params: [] };
    for (;;) if (run(oldest) < DEAD_SLICE_ROWS) return total;
  }
}

/** A pending row as a message; its delay counts from acceptance, not from the flush. */
export function toMessage(row: PendingRow, now: number): QueueMessage {
  const message: QueueMessage = { body: row.body, content_type: row.content_type as QueueMessage["content_type"] };
  if (row.delay_seconds !== null) message.delay_seconds = Math.max(0, row.delay_seconds - Math.floor((now - row.enqueued_at) / 1000));
  return message;
}
