/**
 * The per-isolate tally behind rule counters (src/rules/counters.ts), against a stand-in for the
 * RuleCounters object: writes are bounded (one trailing flush per interval, an immediate one per
 * FLUSH_EVENTS events, never one per request), a flush that fails keeps its counts for the next
 * one, and a read flushes what is pending first.
 */
import { describe, expect, it } from "vitest";
import { countDecisions, FLUSH_EVENTS, flushCounters, readCounts } from "../src/rules/counters";
import { decide } from "../src/rules/match";
import { Rules } from "../src/rules/schema";

/** A RuleCounters stand-in: sums what it is given; `failures` makes the next adds throw. */
function fakeEnv() {
  const saved = new Map<string, number>();
  const store = {
    adds: 0,
    failures: 0,
    async add(deltas: [string, number][]) {
      store.adds++;
      if (store.failures > 0) {
        store.failures--;
        throw new Error("object unavailable");
      }
      for (const [name, value] of deltas) saved.set(name, (saved.get(name) ?? 0) + value);
    },
    async read(names: string[]) {
      return Object.fromEntries(names.map((n) => [n, saved.get(n) ?? 0]));
    },
  };
  const env = { RULE_COUNTERS: { idFromName: (name: string) => name, get: () => store } } as unknown as Env;
  return { env, store };
}

const rules = Rules.parse([
  { name: "invoices", match: { event: "invoice.*" }, route: "billing" },
  { name: "pings", match: { event: "ping" }, drop: true },
]);
const decision = (event: string) => decide(rules, { event, headers: {}, data: {} }, "events");

describe("rule counter tally", () => {
  it("schedules one trailing flush for many requests, and flushes at once after FLUSH_EVENTS events", async () => {
    const { env, store } = fakeEnv();
    await flushCounters(env); // whatever an earlier test left pending
    const scheduled: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++)
      countDecisions(env, "tally-a", rules, [decision("invoice.paid")], (p) => scheduled.push(p));
    expect(scheduled).toHaveLength(1); // the trailing flush, FLUSH_INTERVAL_MS later
    countDecisions(
      env,
      "tally-a",
      rules,
      Array.from({ length: FLUSH_EVENTS }, () => decision("ping")),
      (p) => scheduled.push(p),
    );
    expect(scheduled).toHaveLength(2);
    await scheduled[1];
    expect(store.adds).toBe(1);
    expect(await readCounts(env, "tally-a", rules)).toEqual({
      events: 10 + FLUSH_EVENTS,
      defaulted: 0,
      dropped: FLUSH_EVENTS,
      rules: [
        { matched: 10, routed: 10, dropped: 0 },
        { matched: FLUSH_EVENTS, routed: 0, dropped: FLUSH_EVENTS },
      ],
    });
  });

  it("a flush that fails keeps its counts for the next one: nothing is lost silently within an isolate", async () => {
    const { env, store } = fakeEnv();
    await flushCounters(env);
    countDecisions(env, "tally-b", rules, [decision("ping"), decision("other")], () => {});
    store.failures = 1;
    await flushCounters(env);
    countDecisions(env, "tally-b", rules, [decision("invoice.paid")], () => {});
    expect(await readCounts(env, "tally-b", rules)).toEqual({
      events: 3,
      defaulted: 1,
      dropped: 1,
      rules: [
        { matched: 1, routed: 1, dropped: 0 },
        { matched: 1, routed: 0, dropped: 1 },
      ],
    });
  });
});
