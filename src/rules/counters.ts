/**
 * Rule counters, kept off the hot path: each isolate adds an accepted request's decisions to an
 * in-memory tally (a few map increments), and flushes the tally to the source's RuleCounters
 * object (./counter-store.ts) with `waitUntil`, after the answer is sent:
 *  - at once when FLUSH_EVENTS events are pending or the oldest pending count is FLUSH_INTERVAL_MS
 *    old, otherwise
 *  - by a trailing flush FLUSH_INTERVAL_MS after the first pending count, so a quiet isolate's
 *    counts are written within the interval rather than waiting for its next request.
 * So writes are bounded (about one per isolate per interval, plus one per FLUSH_EVENTS events),
 * counts from several isolates are summed in the object, and totals are approximate only in
 * time. A flush that fails puts its counts back for the next one (and logs): within an isolate
 * nothing is dropped silently; an isolate evicted between a count and its flush (at most one
 * interval) loses that interval's counts. Workers Analytics Engine would avoid the object, but it
 * cannot be read back in local development or tests; this can.
 */
import type { Decision } from "./match";
import type { Rule } from "./schema";

/** Pending counts are flushed at least this often (trailing flush; under Workers' 30 s waitUntil limit). */
export const FLUSH_INTERVAL_MS = 5_000;
/** ...and as soon as this many events are pending. */
export const FLUSH_EVENTS = 500;

export interface RuleCounts {
  matched: number;
  routed: number;
  dropped: number;
}

export interface SourceCounts {
  /** Events the rules were evaluated on (accepted requests). */
  events: number;
  /** Events no rule routed: they went to the source's own queue. */
  defaulted: number;
  /** Events a drop rule stopped. */
  dropped: number;
  rules: RuleCounts[];
}

type Schedule = (work: Promise<unknown>) => void;

/** Source name → counter name → pending sum. */
let pending = new Map<string, Map<string, number>>();
let pendingEvents = 0;
let oldestPendingAt = 0;
let trailingScheduled = false;
let flushing: Promise<void> = Promise.resolve();

/** Adds an accepted request's decisions to this isolate's tally, and schedules a flush. */
export function countDecisions(
  env: Env,
  sourceName: string,
  rules: readonly Rule[],
  decisions: readonly Decision[],
  schedule: Schedule,
): void {
  if (decisions.length === 0) return;
  const names = counterNames(rules);
  let counts = pending.get(sourceName);
  if (!counts) {
    counts = new Map();
    pending.set(sourceName, counts);
  }
  const bump = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const decision of decisions) {
    bump("events");
    if (decision.defaulted) bump("defaulted");
    if (decision.dropped) bump("dropped");
    for (const i of decision.matched) bump(names[i]!.matched);
    for (const i of decision.routedBy) bump(names[i]!.routed);
    if (decision.droppedBy !== null) bump(names[decision.droppedBy]!.dropped);
  }
  const now = Date.now();
  if (pendingEvents === 0) oldestPendingAt = now;
  pendingEvents += decisions.length;
  if (pendingEvents >= FLUSH_EVENTS || now - oldestPendingAt >= FLUSH_INTERVAL_MS) {
    schedule(flushCounters(env));
  } else if (!trailingScheduled) {
    trailingScheduled = true;
    schedule(
      new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS)).then(() => {
        trailingScheduled = false;
        return flushCounters(env);
      }),
    );
  }
}

/** Writes this isolate's pending counts (one call per source), one flush at a time; never throws. */
export function flushCounters(env: Env): Promise<void> {
  flushing = flushing.then(() => flushPending(env)).catch(() => {});
  return flushing;
}

async function flushPending(env: Env): Promise<void> {
  const batch = pending;
  if (batch.size === 0) return;
  pending = new Map();
  pendingEvents = 0;
  const entries = [...batch];
  const results = await Promise.allSettled(
    entries.map(async ([source, counts]) => storeOf(env, source).add([...counts])),
  );
  for (const [i, result] of results.entries()) {
    if (result.status === "fulfilled") continue;
    const [source, counts] = entries[i]!;
    restore(source, counts);
    console.log(
      JSON.stringify({
        level: "warn",
        message: "rule counters not saved; kept for the next flush",
        source,
        error: String(result.reason).slice(0, 200),
      }),
    );
  }
}

function restore(source: string, counts: Map<string, number>): void {
  const into = pending.get(source) ?? new Map<string, number>();
  for (const [name, value] of counts) into.set(name, (into.get(name) ?? 0) + value);
  pending.set(source, into);
  if (pendingEvents === 0) oldestPendingAt = Date.now();
  pendingEvents += counts.get("events") ?? 0;
}

/** The source's saved counts, this isolate's pending ones flushed first. */
export async function readCounts(env: Env, sourceName: string, rules: readonly Rule[]): Promise<SourceCounts> {
  await flushCounters(env);
  const names = counterNames(rules);
  const all = ["events", "defaulted", "dropped", ...names.flatMap((n) => [n.matched, n.routed, n.dropped])];
  const saved = await storeOf(env, sourceName).read(all);
  return {
    events: saved.events ?? 0,
    defaulted: saved.defaulted ?? 0,
    dropped: saved.dropped ?? 0,
    rules: names.map((n) => ({
      matched: saved[n.matched] ?? 0,
      routed: saved[n.routed] ?? 0,
      dropped: saved[n.dropped] ?? 0,
    })),
  };
}

const storeOf = (env: Env, sourceName: string) => env.RULE_COUNTERS.get(env.RULE_COUNTERS.idFromName(sourceName));

interface RuleCounterNames {
  matched: string;
  routed: string;
  dropped: string;
}

const namesByRules = new WeakMap<readonly Rule[], RuleCounterNames[]>();

/** Each rule's counter names: its position and a fingerprint of its declaration. */
function counterNames(rules: readonly Rule[]): RuleCounterNames[] {
  let names = namesByRules.get(rules);
  if (!names) {
    names = rules.map((rule, i) => {
      const base = `rule:${i}:${fingerprint(JSON.stringify(rule))}`;
      return { matched: `${base}:matched`, routed: `${base}:routed`, dropped: `${base}:dropped` };
    });
    namesByRules.set(rules, names);
  }
  return names;
}

/** FNV-1a, 32 bits: tells edited rules apart; not a security boundary. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
