/**
 * The buffer shard's storage: the SQLite schema (append-only migrations) and every statement
 * the shard runs, behind small methods. It keeps the pending count and bytes in memory, so
 * backpressure and flush decisions never count rows, and it counts the rows it writes (what
 * Durable Object storage bills), so the benchmark can report them.
 *
 * Tables
 *   pending_batches  messages waiting for a flush, several per row: a commit (group commit:
 *                    every enqueue that arrived in the same turn) adds its messages to the last
 *                    row while that row is small (OPEN_ROW_MAX_*), else starts a row of its own
 *                    (up to a batch's worth). Rows are appended in time order; seq is a plain
 *                    integer key (no AUTOINCREMENT: no sequence row to update on every insert).
 *     seq, enqueued_at (ms), count, bytes (with overhead), messages (JSON [{id, body,
 *     content_type, delay_seconds}]). Rows adopted from another shard keep their arrival time.
 *   dead_letters     messages the upstream refused permanently, one per row, with their own key:
 *                    seq, id, body, content_type, delay_seconds, bytes, enqueued_at, failed_at, error.
 *   deliveries       deliveries seen within their idempotency window (deduplication, every mode):
 *                    delivery_id (the delivery's SHA-256 key, src/ingest/delivery.ts), message_ids
 *                    (JSON), payload_hash, expires_at (ms). WITHOUT ROWID and no expiry index: one
 *                    row written per delivery; expired rows are purged by an occasional scan
 *                    (rows read cost a thousandth of rows written).
 *   meta             key/value: 'queue' (the shard's queue), 'attempt' (consecutive failed
 *                    flushes), 'backoff_until' (ms), and the counters 'flushes',
 *                    'flushed_messages', 'failed_flushes' since the object was created.
 */

import { type Migration, migrate } from "../lib/migrations";
import { messageBytes } from "../queues/limits";
import type { QueueMessage } from "../queues/schemas";
import type { BufferedMessage, DeadLetter, DeadLetterPage, DeadLetterQuery, Delivery, Seen } from "./types";

/** One pending message as stored inside its row. */
export interface StoredMessage {
  id: string;
  body: string;
  content_type: string;
  delay_seconds: number | null;
}
/** A pending message with where it lives: its row and the row's arrival time. */
export interface PendingEntry {
  seq: number;
  enqueued_at: number;
  stored: StoredMessage;
}
/** Pending messages of one arrival time, as one shard hands them to another. */
export interface AdoptedRow {
  enqueued_at: number;
  messages: StoredMessage[];
}
type BatchRow = { seq: number; enqueued_at: number; count: number; bytes: number; messages: string };

/**
 * How large the last pending row may grow by later commits' messages. A commit that joins it
 * writes one row (the row rewritten) instead of two (its own row, then its deletion after the
 * flush); rewriting rewrites the whole row, so the row that grows is kept small.
 */
const OPEN_ROW_MAX_MESSAGES = 25;
const OPEN_ROW_MAX_BYTES = 32_000;
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
  {
    // Fewer rows written per message: pending rows hold a commit's messages; deliveries lose
    // their rowid and expiry index. Existing rows are carried over.
    id: 5,
    sql: `CREATE TABLE pending_batches (
      seq INTEGER PRIMARY KEY,
      enqueued_at INTEGER NOT NULL,
      count INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      messages TEXT NOT NULL
    );
    INSERT INTO pending_batches (enqueued_at, count, bytes, messages)
      SELECT enqueued_at, 1, bytes, json_array(json_object('id', id, 'body', body, 'content_type', content_type, 'delay_seconds', delay_seconds))
      FROM pending ORDER BY seq;
    DROP TABLE pending;
    CREATE TABLE deliveries_by_key (
      delivery_id TEXT PRIMARY KEY,
      message_ids TEXT NOT NULL,
      payload_hash TEXT,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO deliveries_by_key SELECT delivery_id, message_ids, payload_hash, expires_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_by_key RENAME TO deliveries;`,
  },
];

const PURGE_SLICE_ROWS = 1_000;
/** Slices one purge pass may delete before it yields (the next alarm goes on). */
const PURGE_MAX_SLICES = 20;
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
  /** Rows written since the object started (SqlStorageCursor.rowsWritten, summed). */
  rowsWritten = 0;
  /**
   * The oldest pending arrival, kept in memory (every commit reports it): undefined when it must
   * be read again (after rows left), null when nothing is pending.
   */
  private oldest: number | null | undefined;
  /**
   * The last row appendPending wrote, as stored, while later commits may add to it: forgotten
   * whenever anything else changes the pending rows (a flush, a hand-over, a purge, a replay, a
   * transaction that failed), after which the next commit starts a row again.
   */
  private openRow: { seq: number; stored: StoredMessage[]; bytes: number } | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {}

  /** Runs the migrations and loads the in-memory totals (call under blockConcurrencyWhile). */
  open(): void {
    migrate(this.storage, MIGRATIONS);
    this.reloadTotals();
  }

  /** Recounts pending messages: after opening, and after a transaction that failed midway. */
  reloadTotals(): void {
    const totals = this.sql
      .exec<{ n: number; b: number }>(
        "SELECT coalesce(sum(count), 0) AS n, coalesce(sum(bytes), 0) AS b FROM pending_batches",
      )
      .one();
    this.pendingMessages = totals.n;
    this.pendingBytes = totals.b;
    this.oldest = undefined;
    this.openRow = undefined;
  }

  /**
   * Stores a commit's messages (at most a batch): added to the last row while it stays small,
   * else as a row of their own. Messages that join an older row count as arriving with it,
   * which only brings their deadline forward; a delayed message's delay counts from its own
   * arrival, so a commit with one never joins.
   */
  appendPending(messages: readonly BufferedMessage[], enqueuedAt: number): void {
    if (messages.length === 0) return;
    const stored: StoredMessage[] = messages.map(({ id, message }) => ({
      id,
      body: message.body,
      content_type: message.content_type,
      delay_seconds: message.delay_seconds ?? null,
    }));
    const bytes = stored.reduce((n, m) => n + messageBytes(m.body), 0);
    const open = this.openRow;
    if (
      open &&
      stored.every((m) => m.delay_seconds === null) &&
      open.stored.length + stored.length <= OPEN_ROW_MAX_MESSAGES &&
      open.bytes + bytes <= OPEN_ROW_MAX_BYTES
    ) {
      const grown = [...open.stored, ...stored];
      this.exec(
        "UPDATE pending_batches SET count = ?, bytes = ?, messages = ? WHERE seq = ?",
        grown.length,
        open.bytes + bytes,
        JSON.stringify(grown),
        open.seq,
      );
      this.openRow = { seq: open.seq, stored: grown, bytes: open.bytes + bytes };
      this.pendingMessages += stored.length;
      this.pendingBytes += bytes;
      return;
    }
    const seq = this.writeRow(stored, enqueuedAt, bytes);
    this.openRow =
      stored.length < OPEN_ROW_MAX_MESSAGES && bytes < OPEN_ROW_MAX_BYTES ? { seq, stored, bytes } : undefined;
  }

  /**
   * The oldest pending messages, in order, enough to fill one batch (`maxMessages`, `maxBytes`):
   * row sizes are read first, so only the rows needed are parsed.
   */
  firstPending(maxMessages: number, maxBytes: number): PendingEntry[] {
    const sizes = this.sql
      .exec<{ seq: number; count: number; bytes: number }>(
        "SELECT seq, count, bytes FROM pending_batches ORDER BY seq LIMIT ?",
        maxMessages,
      )
      .toArray();
    let last = 0;
    let count = 0;
    let bytes = 0;
    for (const size of sizes) {
      last = size.seq;
      count += size.count;
      bytes += size.bytes;
      if (count >= maxMessages || bytes >= maxBytes) break;
    }
    if (!last) return [];
    const rows = this.sql
      .exec<BatchRow>(
        "SELECT seq, enqueued_at, count, bytes, messages FROM pending_batches WHERE seq <= ? ORDER BY seq",
        last,
      )
      .toArray();
    return rows.flatMap((row) =>
      (JSON.parse(row.messages) as StoredMessage[]).map((stored) => ({
        seq: row.seq,
        enqueued_at: row.enqueued_at,
        stored,
      })),
    );
  }

  /**
   * The oldest arrival among the first `rows` rows. Rows are appended in arrival order, except
   * those adopted from another shard (older, appended later); they are at most a batch's worth,
   * so the rows of one batch hold the oldest message whenever a partial batch is waiting.
   */
  oldestEnqueuedAt(rows: number): number | null {
    // Not `??=`: null (nothing pending) is a known answer too, and must not be queried again.
    if (this.oldest === undefined)
      this.oldest =
        this.sql
          .exec<{ t: number | null }>(
            "SELECT MIN(enqueued_at) AS t FROM (SELECT enqueued_at FROM pending_batches ORDER BY seq LIMIT ?)",
            rows,
          )
          .toArray()[0]?.t ?? null;
    return this.oldest;
  }

  /** Appends messages handed over by another shard, each row with its original arrival time. */
  adoptPending(rows: readonly AdoptedRow[]): void {
    for (const row of rows) if (row.messages.length) this.writeRow(row.messages, row.enqueued_at);
    this.openRow = undefined;
  }

  /**
   * Removes these messages (pushed, or dead-lettered): rows left empty are deleted, a row left
   * with some messages is rewritten with the rest. Entries already gone (an operator flush or a
   * purge got there first) change nothing, so the totals never drift.
   */
  removePending(entries: readonly PendingEntry[]): void {
    this.openRow = undefined;
    const bySeq = new Map<number, Set<string>>();
    for (const entry of entries) bySeq.set(entry.seq, (bySeq.get(entry.seq) ?? new Set()).add(entry.stored.id));
    for (const [seq, ids] of bySeq) {
      const row = this.sql
        .exec<BatchRow>("SELECT seq, enqueued_at, count, bytes, messages FROM pending_batches WHERE seq = ?", seq)
        .toArray()[0];
      if (!row) continue;
      const rest = (JSON.parse(row.messages) as StoredMessage[]).filter((m) => !ids.has(m.id));
      if (rest.length === row.count) continue;
      const restBytes = rest.reduce((n, m) => n + messageBytes(m.body), 0);
      if (rest.length === 0) this.exec("DELETE FROM pending_batches WHERE seq = ?", seq);
      else
        this.exec(
          "UPDATE pending_batches SET count = ?, bytes = ?, messages = ? WHERE seq = ?",
          rest.length,
          restBytes,
          JSON.stringify(rest),
          seq,
        );
      this.pendingMessages -= row.count - rest.length;
      this.oldest = undefined;
      this.pendingBytes -= row.bytes - restBytes;
    }
  }

  /** Deletes every pending message (the queue is being purged); returns how many there were. */
  purgePending(): number {
    const purged = this.pendingMessages;
    this.exec("DELETE FROM pending_batches");
    this.oldest = null;
    this.openRow = undefined;
    this.pendingMessages = 0;
    this.pendingBytes = 0;
    return purged;
  }

  /**
   * Remembers a delivery unless it is remembered within its window already: one statement for a
   * new delivery (the common case), which inserts it or takes over an expired row; the stored row
   * is read only when it is still live (a duplicate, or a conflict if the payload differs).
   */
  claimDelivery(delivery: Delivery, ids: string[], now: number): Seen | undefined {
    const written = this.exec(
      `INSERT INTO deliveries (delivery_id, message_ids, payload_hash, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (delivery_id) DO UPDATE SET message_ids = excluded.message_ids,
         payload_hash = excluded.payload_hash, expires_at = excluded.expires_at
       WHERE deliveries.expires_at <= ?`,
      delivery.key,
      JSON.stringify(ids),
      delivery.payload_hash,
      now + delivery.window_seconds * 1000,
      now,
    );
    return written > 0 ? undefined : this.seenDelivery(delivery, now);
  }

  private seenDelivery(delivery: Delivery, now: number): Seen | undefined {
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

  /** Forgets deliveries whose push failed entirely, so the sender's retry goes through. */
  forgetDeliveries(keys: readonly string[]): void {
    for (const key of keys) this.exec("DELETE FROM deliveries WHERE delivery_id = ?", key);
  }

  /**
   * Deletes expired deliveries in slices (a scan: no expiry index to keep up on every write);
   * returns when the next one expires, or null when none is left.
   */
  purgeDeliveries(now: number): number | null {
    for (let slice = 0; slice < PURGE_MAX_SLICES; slice++) {
      const deleted = this.exec(
        "DELETE FROM deliveries WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE expires_at <= ? LIMIT ?)",
        now,
        PURGE_SLICE_ROWS,
      );
      if (deleted < PURGE_SLICE_ROWS) break;
    }
    return this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM deliveries").one().t;
  }

  /** Moves one pending message to the dead letters, under a key of their own. */
  deadLetter(entry: PendingEntry, error: string, failedAt: number): void {
    const { stored } = entry;
    this.exec(
      "INSERT INTO dead_letters (id, body, content_type, delay_seconds, bytes, enqueued_at, failed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      stored.id,
      stored.body,
      stored.content_type,
      stored.delay_seconds,
      messageBytes(stored.body),
      entry.enqueued_at,
      failedAt,
      error.slice(0, MAX_ERROR_CHARS),
    );
    this.removePending([entry]);
  }

  /**
   * One page of dead letters after a seq, capped by count and by message bytes. The cut is made
   * on the sizes alone, so no body past the page is ever read.
   */
  listDeadLetters({ after, limit, max_bytes, at_least_one }: DeadLetterQuery): DeadLetterPage {
    const sizes = this.sql
      .exec<{ seq: number; bytes: number }>(
        "SELECT seq, bytes FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?",
        after,
        limit + 1,
      )
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
          `INSERT INTO pending_batches (enqueued_at, count, bytes, messages)
           SELECT ?, 1, bytes, json_array(json_object('id', id, 'body', body, 'content_type', content_type, 'delay_seconds', delay_seconds))
           FROM dead_letters WHERE ${where} ORDER BY seq RETURNING bytes`,
          now,
          ...params,
        )
        .toArray();
      this.exec(`DELETE FROM dead_letters WHERE ${where}`, ...params);
      this.rowsWritten += moved.length;
      this.oldest = undefined;
      this.openRow = undefined;
      this.pendingMessages += moved.length;
      this.pendingBytes += moved.reduce((n, row) => n + row.bytes, 0);
      return moved.length;
    });
  }

  deleteDeadLetters(ids: string[] | undefined, transaction: Transaction): number {
    return this.eachDeadSelection(ids, transaction, ({ where, params }) => {
      const cursor = this.sql.exec(`DELETE FROM dead_letters WHERE ${where} RETURNING seq`, ...params);
      const deleted = cursor.toArray().length;
      this.rowsWritten += cursor.rowsWritten;
      return deleted;
    });
  }

  meta(key: MetaNumber): number {
    const row = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? Number(row.value) : 0;
  }

  metaText(key: "queue"): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  setMeta(key: MetaNumber | "queue", value: string | number): void {
    this.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  bump(key: MetaNumber, by: number): void {
    this.setMeta(key, this.meta(key) + by);
  }

  /** Inserts one pending row; returns its seq. */
  private writeRow(
    stored: StoredMessage[],
    enqueuedAt: number,
    bytes = stored.reduce((n, m) => n + messageBytes(m.body), 0),
  ): number {
    const cursor = this.sql.exec<{ seq: number }>(
      "INSERT INTO pending_batches (enqueued_at, count, bytes, messages) VALUES (?, ?, ?, ?) RETURNING seq",
      enqueuedAt,
      stored.length,
      bytes,
      JSON.stringify(stored),
    );
    const { seq } = cursor.one();
    this.rowsWritten += cursor.rowsWritten;
    this.pendingMessages += stored.length;
    this.pendingBytes += bytes;
    if (this.oldest !== undefined) this.oldest = this.oldest === null ? enqueuedAt : Math.min(this.oldest, enqueuedAt);
    return seq;
  }

  /** Runs a statement that writes, counting the rows it wrote; returns that count. */
  private exec(query: string, ...params: SqlStorageValue[]): number {
    const written = this.sql.exec(query, ...params).rowsWritten;
    this.rowsWritten += written;
    return written;
  }

  /**
   * Applies `act` to bounded selections, each in its own transaction: chunks of the given ids, or
   * slices of the oldest dead letters until none are left. Sums what `act` counted.
   */
  private eachDeadSelection(
    ids: string[] | undefined,
    transaction: Transaction,
    act: (selection: DeadSelection) => number,
  ): number {
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
    const oldest: DeadSelection = {
      where: `seq IN (SELECT seq FROM dead_letters ORDER BY seq LIMIT ${DEAD_SLICE_ROWS})`,
      params: [],
    };
    for (;;) if (run(oldest) < DEAD_SLICE_ROWS) return total;
  }
}

/** A pending message as a queue message; its delay counts from acceptance, not from the flush. */
export function toMessage(entry: PendingEntry, now: number): QueueMessage {
  const { stored } = entry;
  const message: QueueMessage = {
    body: stored.body,
    content_type: stored.content_type as QueueMessage["content_type"],
  };
  if (stored.delay_seconds !== null)
    message.delay_seconds = Math.max(0, stored.delay_seconds - Math.floor((now - entry.enqueued_at) / 1000));
  return message;
}
