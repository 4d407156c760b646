/**
 * BufferShard: one SQLite-backed Durable Object per (queue, shard). Accepted messages are written
 * here in one transaction before the client gets its 2xx; from then on the gateway owns them. An
 * alarm pushes them upstream in batches as full as Cloudflare allows, retries failures with
 * exponential backoff and jitter (honouring Retry-After), and isolates messages the upstream
 * refuses permanently into dead letters by splitting the batch, so one poison message never
 * blocks the shard. Rows are deleted only after the upstream accepted them: at least once.
 * The shard also remembers deliveries for every mode: buffered enqueues screen and record them
 * in the same transaction as the messages; direct modes claim them before pushing (`claim`) and
 * spill here only when the push failed (`enqueue` with `claimed`).
 *
 * Group commit: enqueues and claims arriving in the same turn join one open batch, applied in
 * order in one transaction on the next macrotask (each RPC arrives in its own turn, so a
 * microtask would never batch), and each caller gets its own answer once that commit is durable.
 *
 * Full batches at low load: more shards must not mean emptier pushes. A shard whose partial
 * batch has waited half of max_wait_ms hands it to the queue's collector (shard 0, `adopt`),
 * which pushes every shard's tail together by the oldest message's max_wait_ms: a queue with N
 * shards then pushes one partial batch per wait instead of N. The collector stores the tail
 * before its sender deletes it (at least once: a crash in between pushes those messages twice);
 * it refuses while its upstream is failing or it is full, and the shard then pushes its own.
 * Storage (tables and statements) lives in ./tables.ts.
 */

import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config/load";
import { Clock } from "../lib/clock";
import type { BufferConfig } from "../queues/config";
import { MAX_BATCH_MESSAGES, messageBytes } from "../queues/limits";
import { resolveQueue } from "../queues/resolve";
import type { QueueMessage } from "../queues/schemas";
import { upstreamFor } from "../queues/upstreams/upstream";
import { UpstreamError } from "../queues/upstreams/upstream-error";
import { takeBatch } from "./batches";
import { COLLECTOR_SHARD, shardId, shardStub } from "./shards";
import { type AdoptedRow, type PendingEntry, ShardTables, toMessage } from "./tables";
import {
  type BufferedMessage,
  type Claim,
  type DeadLetterPage,
  type DeadLetterQuery,
  type EnqueueOptions,
  type EnqueueResult,
  type Parcel,
  rememberedIds,
  type Seen,
  type ShardMetrics,
  type ShardStats,
} from "./types";

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;
/** With delivery ids to forget, the alarm comes back at least this often to purge them. */
const PURGE_MIN_INTERVAL_MS = 1_000;
/** Expired deliveries are found by a scan (no expiry index to write): at most this often. */
const PURGE_INTERVAL_MS = 60_000;

type FlushOutcome = { ok: true } | { ok: false; retryAfterSeconds?: number | undefined };

/** A call's answer before the commit adds the shard's metrics (read once, after it is durable). */
type Answer = { ok: true; seen: (Seen | null)[] } | Extract<EnqueueResult, { ok: false }>;
/** What one commit takes in: the messages to store, and their bytes. */
type Accepted = { messages: BufferedMessage[]; bytes: number };

/** One call waiting in the open batch: an enqueue (messages) or a claim (deliveries only). */
interface Job {
  kind: "enqueue" | "claim";
  queue: string;
  parcels: Parcel[];
  claimed: boolean;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

export class BufferShard extends DurableObject<Env> {
  /** Every time this object reads, injected so tests advance it instead of sleeping. */
  readonly clock = new Clock();
  private readonly tables: ShardTables;
  private flushing: Promise<void> | undefined;
  /** Cached so the hot path (enqueue) does not read them back from storage. */
  private queue: string | undefined;
  private alarmAt: number | null = null;
  private backoffUntil = 0;
  private open: Job[] = [];
  /**
   * When deliveries may next be purged, and when the earliest one expires: undefined while
   * unknown (after a restart, or since a delivery was recorded), null when none is remembered,
   * so an idle shard without deliveries keeps no alarm.
   */
  private purgeDueAt = 0;
  private nextExpiry: number | null | undefined;
  private requests = 0;
  private commits = 0;
  private committedCalls = 0;
  private handOvers = 0;
  private adopted = 0;
  private collectorOf: { queue: string; is: boolean } | undefined;
  /** Until when this shard pushes its own partial batch: the collector refused the last one. */
  private handOverRefusedUntil = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tables = new ShardTables(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      this.tables.open();
      this.queue = this.tables.metaText("queue");
      this.backoffUntil = this.tables.meta("backoff_until");
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /**
   * Stores the new parcels' messages durably or refuses them all under backpressure. A parcel
   * whose delivery was seen within its window is not stored: `seen` says whether it is a
   * duplicate (with the ids it produced then) or a conflict (another payload). With `claimed`
   * (a direct push that failed and spills here), the deliveries were claimed already.
   */
  enqueue(queue: string, parcels: Parcel[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    return this.join("enqueue", queue, parcels, options.claimed === true);
  }

  /**
   * Remembers deliveries before a direct push (one row per delivery, nothing else): each parcel
   * is new (recorded now, with its message ids), a duplicate or a conflict. A concurrent copy
   * of a delivery whose push is still running is answered as its duplicate; if that push fails
   * everywhere, `forget` drops the claim and the sender, told to retry, delivers it.
   */
  claim(queue: string, claims: Claim[]): Promise<EnqueueResult> {
    // A claim stores no message, only the ids it answers duplicates with.
    const parcels = claims.map((c) => ({ delivery: c.delivery, messages: [], remember: c.ids }));
    return this.join("claim", queue, parcels, false);
  }

  /** Drops claims whose messages reached neither the queue nor the buffer. */
  forget(keys: string[]): void {
    this.requests++;
    this.transaction(() => this.tables.forgetDeliveries(keys));
  }

  /**
   * The collector's side of a hand-over: stores another shard's partial batch (keeping each
   * message's arrival time, so its max_wait_ms still counts from then) to push with its own.
   * Refused (false) while this shard's upstream is failing or the batch would pass its caps.
   */
  async adopt(queue: string, rows: AdoptedRow[]): Promise<boolean> {
    this.requests++;
    const now = this.clock.now();
    const policy = this.policy(queue);
    const t = this.tables;
    const count = rows.reduce((n, r) => n + r.messages.length, 0);
    const bytes = rows.reduce((n, r) => n + r.messages.reduce((b, m) => b + messageBytes(m.body), 0), 0);
    if (
      this.backoffUntil > now ||
      t.pendingMessages + count > policy.max_pending_messages ||
      t.pendingBytes + bytes > policy.max_pending_bytes
    )
      return false;
    this.transaction(() => {
      if (this.queue !== queue) t.setMeta("queue", queue);
      t.adoptPending(rows);
    });
    this.queue = queue;
    this.adopted += count;
    await this.schedule(policy, now);
    return true;
  }

  private join(kind: Job["kind"], queue: string, parcels: Parcel[], claimed: boolean): Promise<EnqueueResult> {
    this.requests++;
    return new Promise((resolve, reject) => {
      if (this.open.length === 0) setTimeout(() => void this.commit(), 0);
      this.open.push({ kind, queue, parcels, claimed, resolve, reject });
    });
  }

  /** Applies every waiting call in one transaction, then answers each with its own result. */
  private async commit(): Promise<void> {
    const jobs = this.open;
    this.open = [];
    const now = this.clock.now();
    const results: Answer[] = [];
    const accepted: Accepted = { messages: [], bytes: 0 };
    const queue = jobs[jobs.length - 1]!.queue;
    let policy: BufferConfig;
    try {
      // Inside the try: a configuration that fails to load must answer every caller, not strand them.
      policy = this.policy(queue);
      this.transaction(() => {
        // Claims alone never flush: only an enqueue teaches the shard its queue (a row saved per claim-only shard).
        if (this.queue !== queue && jobs.some((j) => j.kind === "enqueue")) this.tables.setMeta("queue", queue);
        for (const job of jobs) results.push(this.apply(job, policy, now, accepted));
        // One row per batch's worth of what this commit accepted: rows written per message fall as load rises.
        for (let i = 0; i < accepted.messages.length; ) {
          const row = takeBatch(
            accepted.messages.slice(i, i + policy.max_messages),
            policy.max_messages,
            policy.max_bytes,
          );
          this.tables.appendPending(row, now);
          i += row.length;
        }
      });
    } catch (err) {
      for (const job of jobs) job.reject(err);
      return;
    }
    if (jobs.some((j) => j.kind === "enqueue")) this.queue = queue;
    this.commits++;
    this.committedCalls += jobs.length;
    if (jobs.some((job) => job.parcels.some((p) => p.delivery))) this.nextExpiry = undefined;
    if (accepted.messages.length) await this.schedule(policy, now);
    await this.schedulePurge(now);
    const metrics = this.metrics(now);
    jobs.forEach((job, i) => {
      const result = results[i]!;
      job.resolve(result.ok ? { ...result, metrics } : result);
    });
  }

  /**
   * One call's share of the commit: screen and record its deliveries, then take its messages into
   * `accepted` (what the commit stores, with its bytes) or refuse them all under backpressure.
   */
  private apply(job: Job, policy: BufferConfig, now: number, accepted: Accepted): Answer {
    const seen = job.claimed ? job.parcels.map(() => null) : this.screen(job.parcels, now);
    const fresh = job.parcels.filter((_, i) => seen[i] === null);
    const messages = job.kind === "enqueue" ? fresh.flatMap((p) => p.messages) : [];
    const bytes = messages.reduce((n, m) => n + messageBytes(m.message.body), 0);
    const t = this.tables;
    if (
      messages.length > 0 &&
      (t.pendingMessages + accepted.messages.length + messages.length > policy.max_pending_messages ||
        t.pendingBytes + accepted.bytes + bytes > policy.max_pending_bytes)
    ) {
      // Refused: the deliveries screening just remembered did not arrive after all (a rare path,
      // so the common one pays one statement per delivery).
      if (!job.claimed) t.forgetDeliveries(fresh.flatMap((p) => (p.delivery ? [p.delivery.key] : [])));
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((Math.max(this.backoffUntil, now + policy.max_wait_ms) - now) / 1000)),
      };
    }
    accepted.messages.push(...messages);
    accepted.bytes += bytes;
    return { ok: true, seen };
  }

  /**
   * Screens and remembers deliveries: each new one is recorded as it is seen (with the ids it
   * answers duplicates with), so a key repeated within this very call finds its first copy's row.
   */
  private screen(parcels: Parcel[], now: number): (Seen | null)[] {
    return parcels.map((parcel) =>
      parcel.delivery ? (this.tables.claimDelivery(parcel.delivery, rememberedIds(parcel), now) ?? null) : null,
    );
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = this.clock.now();
    if (now >= this.purgeDueAt) {
      this.nextExpiry = this.tables.purgeDeliveries(now);
      this.purgeDueAt = now + PURGE_INTERVAL_MS;
    }
    await this.runFlush(false);
    await this.schedulePurge(this.clock.now());
  }

  /** Keeps an alarm while deliveries are remembered, so expired ones go even when idle (a scan, at most every PURGE_INTERVAL_MS). */
  private async schedulePurge(now: number): Promise<void> {
    if (this.nextExpiry === null) return;
    await this.setAlarmAt(Math.max(this.nextExpiry ?? now, this.purgeDueAt, now + PURGE_MIN_INTERVAL_MS));
  }

  /** Flushes everything pending now, whatever its age (operator route). */
  async flush(): Promise<ShardStats> {
    await this.runFlush(true);
    return this.stats();
  }

  stats(): ShardStats {
    const t = this.tables;
    return {
      ...this.metrics(this.clock.now()),
      flushes: t.meta("flushes"),
      flushed_messages: t.meta("flushed_messages"),
      failed_flushes: t.meta("failed_flushes"),
      dead_letters: t.countDeadLetters(),
      backoff_until: this.backoffUntil,
      requests: this.requests,
      rows_written: t.rowsWritten,
      commits: this.commits,
      committed_calls: this.committedCalls,
      hand_overs: this.handOvers,
      adopted_messages: this.adopted,
    };
  }

  /** One page of dead letters, within the caller's count and byte caps (admin listing). */
  listDeadLetters(query: DeadLetterQuery): DeadLetterPage {
    return this.tables.listDeadLetters(query);
  }

  /** Moves dead letters (all, or those ids) back to pending, in bounded transactions; returns how many. */
  async replayDeadLetters(ids?: string[]): Promise<number> {
    const queue = this.queue;
    if (!queue) return 0;
    const now = this.clock.now();
    const moved = this.tables.replayDeadLetters(ids, now, (work) => this.transaction(work));
    if (moved) await this.schedule(this.policy(queue), now);
    return moved;
  }

  deleteDeadLetters(ids?: string[]): number {
    return this.tables.deleteDeadLetters(ids, (work) => this.transaction(work));
  }

  /**
   * Drops every pending message: the queue is being purged (src/routes/backlog.ts). A flush in
   * flight ends first, so nothing accepted before the purge reaches the queue after it.
   */
  async purgePending(): Promise<number> {
    while (this.flushing) await this.flushing;
    let purged = 0;
    this.transaction(() => {
      purged = this.tables.purgePending();
    });
    return purged;
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
      const now = this.clock.now();
      const entries = this.tables.firstPending(policy.max_messages, policy.max_bytes);
      if (!entries.length) return;
      const oldest = Math.min(...entries.map((e) => e.enqueued_at));
      if (!force && !this.full(policy) && now - oldest < policy.max_wait_ms) {
        if (now < oldest + this.partialWaitMs(queue, policy, now) || !(await this.handOver(queue, entries, now)))
          await this.schedule(policy, now);
        return;
      }
      const batch = takeBatch(
        entries.map((entry) => ({ entry, message: toMessage(entry, now) })),
        policy.max_messages,
        policy.max_bytes,
      );
      const outcome = await this.push(queue, batch);
      if (!outcome.ok) {
        await this.backOff(outcome.retryAfterSeconds);
        return;
      }
      if (this.backoffUntil !== 0) {
        this.transaction(() => {
          this.tables.setMeta("attempt", 0);
          this.tables.setMeta("backoff_until", 0);
        });
        this.backoffUntil = 0;
      }
    }
  }

  /**
   * Hands this shard's partial batch to the collector; true once the collector stored it and it
   * is gone from here. On a refusal or error the shard keeps it and pushes it itself at max_wait_ms.
   */
  private async handOver(queue: string, entries: PendingEntry[], now: number): Promise<boolean> {
    // One row for the collector to write: messages without a delay travel together under the
    // oldest arrival time (which only brings their deadline forward); delayed ones keep their
    // own rows, since their remaining delay counts from their arrival.
    const rows = new Map<number, AdoptedRow>();
    const plain: AdoptedRow = { enqueued_at: Math.min(...entries.map((e) => e.enqueued_at)), messages: [] };
    for (const e of entries) {
      if (e.stored.delay_seconds === null) {
        plain.messages.push(e.stored);
        continue;
      }
      const row = rows.get(e.seq) ?? { enqueued_at: e.enqueued_at, messages: [] };
      row.messages.push(e.stored);
      rows.set(e.seq, row);
    }
    let adopted = false;
    try {
      adopted = await shardStub(this.env, queue, COLLECTOR_SHARD).adopt(queue, [plain, ...rows.values()]);
    } catch {
      adopted = false;
    }
    if (!adopted) {
      this.handOverRefusedUntil = plain.enqueued_at + this.policy(queue).max_wait_ms;
      return false;
    }
    this.transaction(() => this.tables.removePending(entries));
    this.handOvers++;
    this.handOverRefusedUntil = now;
    return true;
  }

  /**
   * How long a partial batch waits here: half of max_wait_ms on a shard that hands its tail to the
   * collector (the collector pushes it by the end of max_wait_ms), all of it otherwise.
   */
  private partialWaitMs(queue: string, policy: BufferConfig, now: number): number {
    const handsOver = policy.shards > 1 && now >= this.handOverRefusedUntil && !this.isCollector(queue);
    return handsOver ? Math.floor(policy.max_wait_ms / 2) : policy.max_wait_ms;
  }

  /** Whether this object is the queue's collector: worked out once (it hashes a name), not per commit. */
  private isCollector(queue: string): boolean {
    if (this.collectorOf?.queue !== queue)
      this.collectorOf = { queue, is: this.ctx.id.equals(shardId(this.env, queue, COLLECTOR_SHARD)) };
    return this.collectorOf.is;
  }

  private full(policy: BufferConfig): boolean {
    return this.tables.pendingMessages >= policy.max_messages || this.tables.pendingBytes >= policy.max_bytes;
  }

  /**
   * Pushes one batch. A permanent refusal splits it to find the message(s) at fault; a single
   * refused message becomes a dead letter. Transient failures leave everything pending.
   */
  private async push(queue: string, batch: { entry: PendingEntry; message: QueueMessage }[]): Promise<FlushOutcome> {
    const config = loadConfig(this.env);
    try {
      await upstreamFor(resolveQueue(config, queue), config, this.env).push(batch.map((b) => b.message));
    } catch (err) {
      const permanent = err instanceof UpstreamError && !err.retryable;
      if (!permanent) {
        return { ok: false, retryAfterSeconds: err instanceof UpstreamError ? err.retryAfterSeconds : undefined };
      }
      if (batch.length === 1) {
        this.transaction(() => this.tables.deadLetter(batch[0]!.entry, err.message, this.clock.now()));
        return { ok: true };
      }
      const half = Math.ceil(batch.length / 2);
      const first = await this.push(queue, batch.slice(0, half));
      return first.ok ? this.push(queue, batch.slice(half)) : first;
    }
    this.transaction(() => {
      this.tables.removePending(batch.map((b) => b.entry));
      this.tables.bump("flushes", 1);
      this.tables.bump("flushed_messages", batch.length);
    });
    return { ok: true };
  }

  /** Exponential backoff with full jitter, never sooner than the upstream's Retry-After. */
  private async backOff(retryAfterSeconds: number | undefined): Promise<void> {
    const attempt = this.tables.meta("attempt") + 1;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    const delay = Math.max((retryAfterSeconds ?? 0) * 1000, ceiling / 2 + Math.random() * (ceiling / 2));
    const until = this.clock.now() + delay;
    this.transaction(() => {
      this.tables.setMeta("attempt", attempt);
      this.tables.setMeta("backoff_until", until);
      this.tables.bump("failed_flushes", 1);
    });
    this.backoffUntil = until;
    this.alarmAt = until;
    await this.ctx.storage.setAlarm(until);
  }

  /**
   * Sets the alarm for the next due flush: now when a batch is full, else when the oldest message
   * has waited its share here (the partial wait: a hand-over, or the push at max_wait_ms).
   */
  private async schedule(policy: BufferConfig, now: number): Promise<void> {
    const oldest = this.tables.oldestEnqueuedAt(policy.max_messages);
    if (oldest === null || !this.queue) return;
    const due = this.full(policy) ? now : oldest + this.partialWaitMs(this.queue, policy, now);
    await this.setAlarmAt(Math.max(due, this.backoffUntil));
  }

  private async setAlarmAt(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  private metrics(now: number): ShardMetrics {
    const oldest = this.tables.oldestEnqueuedAt(MAX_BATCH_MESSAGES);
    return {
      pending_messages: this.tables.pendingMessages,
      pending_bytes: this.tables.pendingBytes,
      oldest_pending_ms: oldest === null ? 0 : Math.max(0, now - oldest),
      oldest_enqueued_at: oldest ?? 0,
    };
  }

  /** A storage transaction; if it fails midway, the in-memory totals are recounted. */
  private transaction(work: () => void): void {
    try {
      this.ctx.storage.transactionSync(work);
    } catch (err) {
      this.tables.reloadTotals();
      throw err;
    }
  }

  private policy(queue: string): BufferConfig {
    return resolveQueue(loadConfig(this.env), queue).config.buffer;
  }
}
