/**
 * BufferShard: one SQLite-backed Durable Object per (queue, shard). Accepted messages are written
 * here in one transaction before the client gets its 2xx; from then on the gateway owns them. An
 * alarm pushes them upstream in batches as full as Cloudflare allows, retries failures with
 * exponential backoff and jitter (honouring Retry-After), and isolates messages the upstream
 * refuses permanently into dead letters by splitting the batch, so one poison message never
 * blocks the shard. Rows are deleted only after the upstream accepted them: at least once.
 *
 * Tables
 *   pending       messages waiting for a flush, in arrival order.
 *     seq, id (gateway id), body, content_type, delay_seconds, bytes (with overhead), enqueued_at (ms)
 *   dead_letters  messages the upstream refused permanently: pending's columns + failed_at, error.
 *   deliveries    delivery ids seen within their idempotency window (ingest deduplication):
 *                 delivery_id (scope-qualified), message_ids (JSON), expires_at (ms). Written in
 *                 the transaction that stores the messages; expired rows are purged by the alarm.
 *   meta          key/value: 'queue' (this shard's queue), 'attempt' (consecutive failed
 *                 flushes), 'backoff_until' (ms), and the counters 'flushes', 'flushed_messages',
 *                 'failed_flushes' since the object was created.
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config/load";
import type { BufferConfig } from "../config/schema";
import { messageBytes } from "../queues/limits";
import { resolveQueue } from "../queues/resolve";
import type { QueueMessage } from "../queues/schemas";
import { upstreamFor } from "../queues/upstream";
import { UpstreamError } from "../queues/upstream-error";
import { type Migration, migrate } from "../storage/migrations";
import { takeBatch } from "./batches";

export interface BufferedMessage {
  id: string;
  message: QueueMessage;
}

/** A delivery to deduplicate: its id, the scope it is unique in (the source), and the window. */
export interface Delivery {
  id: string;
  scope: string;
  window_seconds: number;
}

export type EnqueueResult = { ok: true; metrics: ShardMetrics; duplicateOf?: string[] } | { ok: false; retryAfterSeconds: number };

export interface ShardMetrics {
  pending_messages: number;
  pending_bytes: number;
  /** Age of the oldest pending message in ms (0 when none). */
  oldest_pending_ms: number;
  oldest_enqueued_at: number;
}

export interface ShardStats extends ShardMetrics {
  flushes: number;
  flushed_messages: number;
  failed_flushes: number;
  dead_letters: number;
  /** When the next attempt is due after failures (ms since epoch; 0 when not backing off). */
  backoff_until: number;
}

export interface DeadLetter {
  id: string;
  content_type: string;
  bytes: number;
  enqueued_at: number;
  failed_at: number;
  error: string;
  body: string;
}

type PendingRow = { seq: number; id: string; body: string; content_type: string; delay_seconds: number | null; bytes: number; enqueued_at: number };

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const COUNTERS = ["flushes", "flushed_messages", "failed_flushes"] as const;

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

type FlushOutcome = { ok: true } | { ok: false; retryAfterSeconds?: number | undefined };

export class BufferShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private pendingMessages = 0;
  private pendingBytes = 0;
  private flushing: Promise<void> | undefined;
  /** Cached so the hot path (enqueue) does not read them back from storage. */
  private queue: string | undefined;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const totals = this.sql.exec<{ n: number; b: number }>("SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM pending").one();
      this.pendingMessages = totals.n;
      this.pendingBytes = totals.b;
      this.queue = this.metaText("queue");
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Stores the messages durably (one transaction) or refuses them all under backpressure. */
  async enqueue(queue: string, messages: BufferedMessage[], delivery?: Delivery): Promise<EnqueueResult> {
    const policy = this.policy(queue);
    const now = Date.now();
    const deliveryKey = delivery && `${delivery.scope}\u0000${delivery.id}`;
    if (deliveryKey) {
      const seen = this.sql
        .exec<{ message_ids: string }>("SELECT message_ids FROM deliveries WHERE delivery_id = ? AND expires_at > ?", deliveryKey, now)
        .toArray()[0];
      if (seen) return { ok: true, metrics: this.metrics(now), duplicateOf: JSON.parse(seen.message_ids) };
    }
    const bytes = messages.reduce((n, m) => n + messageBytes(m.message.body), 0);
    if (this.pendingMessages + messages.length > policy.max_pending_messages || this.pendingBytes + bytes > policy.max_pending_bytes) {
      const backoff = this.meta("backoff_until");
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((Math.max(backoff, now + policy.max_wait_ms) - now) / 1000)) };
    }
    this.ctx.storage.transactionSync(() => {
      if (this.queue !== queue) {
        this.setMeta("queue", queue);
        this.queue = queue;
      }
      if (deliveryKey && delivery) {
        this.sql.exec(
          "INSERT OR REPLACE INTO deliveries (delivery_id, message_ids, expires_at) VALUES (?, ?, ?)",
          deliveryKey,
          JSON.stringify(messages.map((m) => m.id)),
          now + delivery.window_seconds * 1000,
        );
      }
      for (const { id, message } of messages) {
        this.sql.exec(
          "INSERT INTO pending (id, body, content_type, delay_seconds, bytes, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)",
          id,
          message.body,
          message.content_type,
          message.delay_seconds ?? null,
          messageBytes(message.body),
          now,
        );
      }
    });
    this.pendingMessages += messages.length;
    this.pendingBytes += bytes;
    await this.schedule(policy, now);
    return { ok: true, metrics: this.metrics(now) };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.sql.exec("DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE expires_at <= ? LIMIT ?)", Date.now(), PURGE_SLICE_ROWS);
    await this.runFlush(false);
    await this.scheduleDeliveryPurge();
  }

  /** Keeps an alarm while delivery ids are remembered, so expired ones are purged even when idle. */
  private async scheduleDeliveryPurge(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM deliveries").one().t;
    if (next !== null) await this.setAlarmAt(Math.max(next, Date.now() + 1_000));
  }

  private async setAlarmAt(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /** Flushes everything pending now, whatever its age (operator route). */
  async flush(): Promise<ShardStats> {
    await this.runFlush(true);
    return this.stats();
  }

  stats(): ShardStats {
    const now = Date.now();
    return {
      ...this.metrics(now),
      flushes: this.meta("flushes"),
      flushed_messages: this.meta("flushed_messages"),
      failed_flushes: this.meta("failed_flushes"),
      dead_letters: this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letters").one().n,
      backoff_until: this.meta("backoff_until"),
    };
  }

  listDeadLetters(limit: number): DeadLetter[] {
    return this.sql
      .exec<DeadLetter & Record<string, SqlStorageValue>>(
        "SELECT id, content_type, bytes, enqueued_at, failed_at, error, body FROM dead_letters ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray();
  }

  /** Moves dead letters (all, or those ids) back to pending; returns how many. */
  async replayDeadLetters(ids?: string[]): Promise<number> {
    const queue = this.queue;
    if (!queue) return 0;
    const now = Date.now();
    let moved = 0;
    this.ctx.storage.transactionSync(() => {
      for (const row of this.selectDead(ids)) {
        this.sql.exec(
          "INSERT INTO pending (id, body, content_type, delay_seconds, bytes, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)",
          row.id,
          row.body,
          row.content_type,
          row.delay_seconds,
          row.bytes,
          now,
        );
        this.sql.exec("DELETE FROM dead_letters WHERE seq = ?", row.seq);
        this.pendingMessages++;
        this.pendingBytes += row.bytes;
        moved++;
      }
    });
    if (moved) await this.schedule(this.policy(queue), now);
    return moved;
  }

  deleteDeadLetters(ids?: string[]): number {
    let deleted = 0;
    this.ctx.storage.transactionSync(() => {
      for (const row of this.selectDead(ids)) {
        this.sql.exec("DELETE FROM dead_letters WHERE seq = ?", row.seq);
        deleted++;
      }
    });
    return deleted;
  }

  private selectDead(ids?: string[]): PendingRow[] {
    const rows = this.sql.exec<PendingRow>("SELECT * FROM dead_letters ORDER BY seq").toArray();
    return ids ? rows.filter((row) => ids.includes(row.id)) : rows;
  }

  /** One flush at a time: an operator flush waits for a running alarm flush, then runs. */
  private async runFlush(force: boolean): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushPending(force).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushPending(force: boolean): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    const policy = this.policy(queue);
    for (;;) {
      const now = Date.now();
      const rows = this.sql.exec<PendingRow>("SELECT * FROM pending ORDER BY seq LIMIT ?", policy.max_messages).toArray();
      const oldest = rows[0];
      if (!oldest) return;
      const full = rows.length >= policy.max_messages || this.pendingBytes >= policy.max_bytes;
      if (!force && !full && now - oldest.enqueued_at < policy.max_wait_ms) {
        await this.schedule(policy, now);
        return;
      }
      const batch = takeBatch(
        rows.map((row) => ({ row, message: this.toMessage(row, now) })),
        policy.max_messages,
        policy.max_bytes,
      );
      const outcome = await this.push(queue, batch);
      if (!outcome.ok) {
        await this.backOff(outcome.retryAfterSeconds);
        return;
      }
      this.setMeta("attempt", 0);
      this.setMeta("backoff_until", 0);
    }
  }

  /**
   * Pushes one batch. A permanent refusal splits it to find the message(s) at fault; a single
   * refused message becomes a dead letter. Transient failures leave everything pending.
   */
  private async push(queue: string, batch: { row: PendingRow; message: QueueMessage }[]): Promise<FlushOutcome> {
    const config = loadConfig(this.env);
    try {
      await upstreamFor(resolveQueue(config, queue), config, this.env).push(batch.map((b) => b.message));
    } catch (err) {
      const permanent = err instanceof UpstreamError && !err.retryable;
      if (!permanent) {
        return { ok: false, retryAfterSeconds: err instanceof UpstreamError ? err.retryAfterSeconds : undefined };
      }
      if (batch.length === 1) {
        this.deadLetter(batch[0]!.row, err.message);
        return { ok: true };
      }
      const half = Math.ceil(batch.length / 2);
      const first = await this.push(queue, batch.slice(0, half));
      return first.ok ? this.push(queue, batch.slice(half)) : first;
    }
    this.ctx.storage.transactionSync(() => {
      for (const { row } of batch) this.removePending(row);
      this.bump("flushes", 1);
      this.bump("flushed_messages", batch.length);
    });
    return { ok: true };
  }

  private deadLetter(row: PendingRow, error: string): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO dead_letters (seq, id, body, content_type, delay_seconds, bytes, enqueued_at, failed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row.seq,
        row.id,
        row.body,
        row.content_type,
        row.delay_seconds,
        row.bytes,
        row.enqueued_at,
        Date.now(),
        error.slice(0, 500),
      );
      this.removePending(row);
    });
  }

  private removePending(row: PendingRow): void {
    if (this.sql.exec("DELETE FROM pending WHERE seq = ?", row.seq).rowsWritten === 0) return;
    this.pendingMessages--;
    this.pendingBytes -= row.bytes;
  }

  /** Exponential backoff with full jitter, never sooner than the upstream's Retry-After. */
  private async backOff(retryAfterSeconds: number | undefined): Promise<void> {
    const attempt = this.meta("attempt") + 1;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    const delay = Math.max((retryAfterSeconds ?? 0) * 1000, ceiling / 2 + Math.random() * (ceiling / 2));
    const until = Date.now() + delay;
    this.ctx.storage.transactionSync(() => {
      this.setMeta("attempt", attempt);
      this.setMeta("backoff_until", until);
      this.bump("failed_flushes", 1);
    });
    this.alarmAt = until;
    await this.ctx.storage.setAlarm(until);
  }

  /** Sets the alarm for the next due flush: now when a batch is full, else when the oldest ages out. */
  private async schedule(policy: BufferConfig, now: number): Promise<void> {
    if (this.pendingMessages === 0) return;
    const full = this.pendingMessages >= policy.max_messages || this.pendingBytes >= policy.max_bytes;
    const oldest = this.sql.exec<{ t: number }>("SELECT enqueued_at AS t FROM pending ORDER BY seq LIMIT 1").one().t;
    const due = Math.max(full ? now : oldest + policy.max_wait_ms, this.meta("backoff_until"));
    await this.setAlarmAt(due);
  }

  /** A pending row as a message; its delay counts from acceptance, not from the flush. */
  private toMessage(row: PendingRow, now: number): QueueMessage {
    const message: QueueMessage = { body: row.body, content_type: row.content_type as QueueMessage["content_type"] };
    if (row.delay_seconds !== null) {
      message.delay_seconds = Math.max(0, row.delay_seconds - Math.floor((now - row.enqueued_at) / 1000));
    }
    return message;
  }

  private metrics(now: number): ShardMetrics {
    // Rows are appended in time order: the first by seq is the oldest.
    const oldest = this.sql.exec<{ t: number }>("SELECT enqueued_at AS t FROM pending ORDER BY seq LIMIT 1").toArray()[0]?.t ?? null;
    return {
      pending_messages: this.pendingMessages,
      pending_bytes: this.pendingBytes,
      oldest_pending_ms: oldest === null ? 0 : Math.max(0, now - oldest),
      oldest_enqueued_at: oldest ?? 0,
    };
  }

  private policy(queue: string): BufferConfig {
    const config = loadConfig(this.env);
    return resolveQueue(config, queue).config.buffer;
  }

  private meta(key: (typeof COUNTERS)[number] | "attempt" | "backoff_until"): number {
    const row = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? Number(row.value) : 0;
  }

  private metaText(key: "queue"): string | undefined {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row?.value;
  }

  private setMeta(key: string, value: string | number): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  private bump(key: (typeof COUNTERS)[number], by: number): void {
    this.setMeta(key, this.meta(key) + by);
  }
}
