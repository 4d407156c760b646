/**
 * LocalQueue: the embedded queue, one SQLite-backed Durable Object per queue name, reproducing
 * Cloudflare's pull-consumer semantics (docs/api.md) so the whole pipeline runs
 * without a Cloudflare account, and persists across `wrangler dev` restarts.
 *
 * Its tables and their migrations are in ./local-tables.ts.
 *
 * Peek and purge by ref are not deliveries: they lease nothing, leave attempts as they are and
 * dead-letter nothing. Refs are ./refs.ts's.
 *
 * Policy (name, max_retries, retention, dead-letter target) comes with every call from the
 * gateway configuration, so the object never holds stale configuration.
 */

import { DurableObject } from "cloudflare:workers";
import { Clock } from "../lib/clock";
import { newLeaseId, newMessageId } from "../lib/ids";
import { migrate } from "../lib/migrations";
import { messageBytes } from "./limits";
import { asDelivered, MIGRATIONS, type Row, type StoredMessage } from "./local-tables";
import type { PurgeStatus } from "./queue-schemas";
import { decodeRef, encodeRef } from "./refs";
import type {
  AckRequest,
  AckResult,
  Metrics,
  PeekedMessage,
  PeekRequest,
  PeekResult,
  PulledMessage,
  PullRequest,
  PullResult,
  PurgeRequest,
  PurgeResult,
  PushResult,
  QueueMessage,
} from "./schemas";

export interface LocalQueuePolicy {
  name: string;
  max_retries: number;
  retention_seconds: number;
  dead_letter?: LocalQueuePolicy;
}

/** While a message is being handed to the dead-letter queue it is hidden for this long. */
const DEAD_LETTER_HOLD_MS = 60_000;

export class LocalQueue extends DurableObject<Env> {
  /** Every time this object reads, injected so tests advance it instead of sleeping. */
  readonly clock = new Clock();
  private readonly sql: SqlStorage;
  private count = 0;
  private bytes = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const totals = this.sql
        .exec<{ n: number; b: number }>("SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM messages")
        .one();
      this.count = totals.n;
      this.bytes = totals.b;
    });
  }

  push(policy: LocalQueuePolicy, messages: QueueMessage[]): PushResult {
    const now = this.clock.now();
    this.expire(policy, now);
    this.ctx.storage.transactionSync(() => {
      for (const m of messages) {
        this.insert(
          { id: newMessageId(), body: m.body, content_type: m.content_type, timestamp_ms: now },
          now + (m.delay_seconds ?? 0) * 1000,
        );
      }
    });
    return { metadata: { metrics: this.backlog() } };
  }

  /** Dead letters from another local queue: same ids and timestamps, visible at once. */
  receiveDeadLetters(policy: LocalQueuePolicy, messages: StoredMessage[]): void {
    const now = this.clock.now();
    this.expire(policy, now);
    this.ctx.storage.transactionSync(() => {
      for (const m of messages) {
        const exists = this.sql.exec("SELECT 1 FROM messages WHERE id = ?", m.id).toArray().length > 0;
        if (!exists) this.insert(m, now);
      }
    });
  }

  async pull(policy: LocalQueuePolicy, request: PullRequest): Promise<PullResult> {
    const now = this.clock.now();
    this.expire(policy, now);
    await this.deadLetterExhausted(policy, now);
    const rows = this.sql
      .exec<Row>(
        "SELECT * FROM messages WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
        now,
        request.batch_size,
      )
      .toArray();
    const messages: PulledMessage[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const row of rows) {
        const lease = newLeaseId();
        this.sql.exec(
          "UPDATE messages SET lease_id = ?, attempts = attempts + 1, visible_at = ? WHERE seq = ?",
          lease,
          now + request.visibility_timeout_ms,
          row.seq,
        );
        messages.push({ ...asDelivered(row), attempts: row.attempts + 1, lease_id: lease });
      }
    });
    const metrics = this.backlog();
    return { message_backlog_count: metrics.backlog_count, messages, metadata: { metrics } };
  }

  async ack(policy: LocalQueuePolicy, request: AckRequest): Promise<AckResult> {
    const now = this.clock.now();
    const warnings: Record<string, string> = {};
    let ackCount = 0;
    let retryCount = 0;
    const exhausted: Row[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const { lease_id } of request.acks) {
        const row = this.byLease(lease_id);
        if (!row) {
          warnings[lease_id] = "lease not found: it was already acked, retried, re-leased or expired from the queue";
          continue;
        }
        this.remove(row);
        ackCount++;
      }
      for (const { lease_id, delay_seconds } of request.retries) {
        const row = this.byLease(lease_id);
        if (!row) {
          warnings[lease_id] = "lease not found: it was already acked, retried, re-leased or expired from the queue";
          continue;
        }
        retryCount++;
        if (row.attempts > policy.max_retries) {
          exhausted.push(row);
          continue;
        }
        // Clearing the lease makes a second retry or ack of it a warning, as upstream.
        this.sql.exec(
          "UPDATE messages SET lease_id = NULL, visible_at = ? WHERE seq = ?",
          now + (delay_seconds ?? 0) * 1000,
          row.seq,
        );
      }
    });
    if (exhausted.length) await this.deadLetter(policy, exhausted, now);
    return { ackCount, retryCount, warnings };
  }

  /**
   * The messages the next pull would lease, read only: no lease, attempts as they are (0 before
   * the first delivery). Messages that pull would dead-letter instead are left out.
   */
  peek(policy: LocalQueuePolicy, request: PeekRequest): PeekResult {
    const now = this.clock.now();
    this.expire(policy, now);
    const rows = this.sql
      .exec<Row>(
        "SELECT * FROM messages WHERE visible_at <= ? AND attempts <= ? ORDER BY visible_at, seq LIMIT ?",
        now,
        policy.max_retries,
        request.batch_size,
      )
      .toArray();
    const messages: PeekedMessage[] = rows.map((row) => ({
      ...asDelivered(row),
      attempts: row.attempts,
      ref: encodeRef(policy.name, row.id),
    }));
    return { messages };
  }

  /** Deletes peeked messages by ref, leased or not; refs that delete nothing are warnings, as in ack. */
  purge(policy: LocalQueuePolicy, request: PurgeRequest): PurgeResult {
    const warnings: Record<string, string> = {};
    this.ctx.storage.transactionSync(() => {
      for (const { ref } of request.refs) {
        const id = decodeRef(policy.name, ref);
        const row =
          id === undefined
            ? undefined
            : this.sql.exec<Pick<Row, "seq" | "size">>("SELECT seq, size FROM messages WHERE id = ?", id).toArray()[0];
        if (row) this.remove(row);
        else
          warnings[ref] =
            id === undefined
              ? "not a ref of this queue's peek"
              : "message not found: it was already purged, acked, dead-lettered or expired";
      }
    });
    return { warnings };
  }

  metrics(policy: LocalQueuePolicy): Metrics {
    this.expire(policy, this.clock.now());
    return this.backlog();
  }

  /**
   * Deletes every message and records the purge, in one transaction: it is done before the call
   * returns, so the status reads completed at once (Cloudflare's purge runs in the background).
   */
  purgeAll(): PurgeStatus {
    const startedAt = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM messages");
      this.sql.exec(
        "INSERT OR REPLACE INTO last_purge (id, started_at, completed_at) VALUES (1, ?, ?)",
        startedAt,
        this.clock.now(),
      );
    });
    this.count = 0;
    this.bytes = 0;
    return this.purgeStatus();
  }

  /** The last purge; empty before the first. A recorded purge always completed (see purgeAll). */
  purgeStatus(): PurgeStatus {
    const last = this.sql.exec<{ started_at: number }>("SELECT started_at FROM last_purge").toArray()[0];
    return last ? { completed: "true", started_at: new Date(last.started_at).toISOString() } : {};
  }

  private byLease(leaseId: string): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM messages WHERE lease_id = ?", leaseId).toArray()[0];
  }

  private insert(m: StoredMessage, visibleAt: number): void {
    const size = messageBytes(m.body);
    this.sql.exec(
      "INSERT INTO messages (id, body, content_type, size, timestamp_ms, visible_at) VALUES (?, ?, ?, ?, ?, ?)",
      m.id,
      m.body,
      m.content_type,
      size,
      m.timestamp_ms,
      visibleAt,
    );
    this.count++;
    this.bytes += size;
  }

  private remove(row: Pick<Row, "seq" | "size">): void {
    // The row may already be gone (expired while a dead-letter hand-off was awaited).
    if (this.sql.exec("DELETE FROM messages WHERE seq = ?", row.seq).rowsWritten === 0) return;
    this.count--;
    this.bytes -= row.size;
  }

  /** Retention: messages older than the queue's retention are dropped, leased or not. */
  private expire(policy: LocalQueuePolicy, now: number): void {
    const cutoff = now - policy.retention_seconds * 1000;
    const old = this.sql.exec<Row>("SELECT seq, size FROM messages WHERE timestamp_ms < ?", cutoff).toArray();
    if (!old.length) return;
    this.ctx.storage.transactionSync(() => {
      for (const row of old) this.remove(row);
    });
  }

  /** Visible messages already delivered max_retries + 1 times (their last lease expired). */
  private async deadLetterExhausted(policy: LocalQueuePolicy, now: number): Promise<void> {
    const rows = this.sql
      .exec<Row>(
        "SELECT * FROM messages INDEXED BY messages_exhausted WHERE attempts > ? AND visible_at <= ? LIMIT 100",
        policy.max_retries,
        now,
      )
      .toArray();
    if (rows.length) await this.deadLetter(policy, rows, now);
  }

  /**
   * Moves messages to the dead-letter queue, or drops them when there is none. They are hidden
   * first so no pull hands them out while the other object is called, and deleted only after it
   * accepted them: a failure leaves them to a later attempt, never lost.
   */
  private async deadLetter(policy: LocalQueuePolicy, rows: Row[], now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const row of rows)
        this.sql.exec(
          "UPDATE messages SET lease_id = NULL, visible_at = ? WHERE seq = ?",
          now + DEAD_LETTER_HOLD_MS,
          row.seq,
        );
    });
    if (policy.dead_letter) {
      const target = this.env.LOCAL_QUEUE.get(this.env.LOCAL_QUEUE.idFromName(policy.dead_letter.name));
      await target.receiveDeadLetters(
        policy.dead_letter,
        rows.map(({ id, body, content_type, timestamp_ms }) => ({ id, body, content_type, timestamp_ms })),
      );
    }
    this.ctx.storage.transactionSync(() => {
      for (const row of rows) this.remove(row);
    });
  }

  private backlog(): Metrics {
    const oldest = this.sql.exec<{ t: number | null }>("SELECT min(timestamp_ms) AS t FROM messages").one().t;
    return { backlog_count: this.count, backlog_bytes: this.bytes, oldest_message_timestamp_ms: oldest ?? 0 };
  }
}
