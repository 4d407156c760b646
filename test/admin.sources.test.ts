/**
 * GET /admin/sources: the sources a key administers (by their queue), each with its rules, their
 * description and their counters: per rule matched / routed / dropped, per source events /
 * defaulted / dropped. Counted once per accepted request (not for repeats or refusals), summed in
 * the source's RuleCounters object; the reading isolate's pending counts are flushed first.
 */

import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEV_KEY, envelope, GATEWAY } from "./support/api";
import { KEYS } from "./support/constants";
import { resetAfterEach, send } from "./support/providers";
import { ROUTED_RULES } from "./support/rules";
import { signedGitHubRequest } from "./support/signing";

resetAfterEach();

interface RuleState {
  index: number;
  name: string | null;
  match: unknown;
  action: string;
  queues: string[];
  continue: boolean;
  counters: { matched: number; routed: number; dropped: number };
}
interface SourceState {
  name: string;
  kind: string;
  queue: string;
  rules: RuleState[];
  description: string;
  counters: { events: number; defaulted: number; dropped: number } | null;
}

async function sources(key: string | null = DEV_KEY): Promise<{ status: number; result: SourceState[] }> {
  const res = await SELF.fetch(`${GATEWAY}/admin/sources`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, result: (await envelope<SourceState[]>(res)).result };
}

async function source(name: string): Promise<SourceState> {
  const found = (await sources()).result.find((s) => s.name === name);
  if (!found) throw new Error(`no source ${name}`);
  return found;
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  send("routed", {
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", ...headers },
  });

/** Counters now minus counters before: per-isolate tallies outlive a test's storage reset. */
function delta(before: SourceState, after: SourceState) {
  return {
    source: Object.fromEntries(
      Object.entries(after.counters!).map(([k, v]) => [k, v - before.counters![k as "events"]]),
    ),
    rules: after.rules.map((r, i) => [
      r.name,
      r.counters.matched - before.rules[i]!.counters.matched,
      r.counters.routed - before.rules[i]!.counters.routed,
      r.counters.dropped - before.rules[i]!.counters.dropped,
    ]),
  };
}

describe("GET /admin/sources", () => {
  it("lists every source the key administers, with its rules as declared and in words", async () => {
    const github = await source("github");
    expect(github).toMatchObject({ kind: "github", queue: "webhooks", counters: { events: expect.any(Number) } });
    expect(github.rules.map(({ counters: _, ...rule }) => rule)).toEqual([
      { index: 0, name: "builds", match: { event: "push" }, action: "route", queues: ["builds"], continue: false },
      {
        index: 1,
        name: "triage",
        match: { event: ["issues", "pull_request"] },
        action: "route",
        queues: ["webhooks"],
        continue: false,
      },
      { index: 2, name: "pings", match: { event: "ping" }, action: "drop", queues: [], continue: false },
    ]);
    expect(github.description).toContain("1. (builds) event is push → builds.");
    expect(github.description).toContain("3. (pings) event is ping → dropped (answered 2xx, never enqueued).");
    expect(github.description).toContain("Otherwise → webhooks.");
    expect((await source("stripe")).counters).toBeNull();
    expect((await source("routed")).rules.map((r) => [r.name, r.action, r.continue])).toEqual(
      ROUTED_RULES.map((r) => [r.name, r.drop ? "drop" : r.route ? "route" : "continue", r.continue === true]),
    );
  });

  it("a source belongs to its queue: an operator of webhooks sees its sources and no others", async () => {
    const { status, result } = await sources(KEYS.adminWebhooks.key);
    expect(status).toBe(200);
    const names = result.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["github", "routed-remote"]));
    expect(names).not.toContain("routed");
    expect(new Set(result.map((s) => s.queue))).toEqual(new Set(["webhooks"]));
  });

  it("no key → 401, a key without the admin scope → 403", async () => {
    expect((await sources(null)).status).toBe(401);
    expect((await sources(KEYS.pushOnly.key)).status).toBe(403);
  });
});

describe("rule counters", () => {
  it("count per rule how often it matched, routed and dropped, and per source events, defaults and drops", async () => {
    const before = await source("routed");
    await post({ type: "invoice.paid", audit: true }); // audit (continue) + invoices
    await post({ type: "customer.created", data: { object: { livemode: true } } }); // count customers + live customers
    await post({ type: "customer.deleted" }); // count customers, then the default queue
    await post([{ type: "ping" }, { type: "other" }]); // a batch: pings drops one, the other defaults
    await post({ type: "invoice.paid", audit: true }, { "x-tenant": "test-1" }); // audit matched, then dropped
    const after = await source("routed");
    expect(delta(before, after)).toEqual({
      source: { events: 6, defaulted: 2, dropped: 2 },
      rules: [
        ["audit flagged", 2, 1, 0],
        ["test tenants", 1, 0, 1],
        ["count customers", 2, 0, 0],
        ["invoices", 1, 1, 0],
        ["live customers", 1, 1, 0],
        ["refunds", 0, 0, 0],
        ["vip", 0, 0, 0],
        ["pings", 1, 0, 1],
      ],
    });
  });

  it("repeats and refused requests are not counted; GitHub's dropped pings are", async () => {
    const before = { routed: await source("routed"), github: await source("github") };
    for (let i = 0; i < 3; i++) await post({ type: "invoice.paid" }, { "idempotency-key": "once" });
    expect((await post({ type: "invoice.paid" }, { authorization: "Bearer nope" })).status).toBe(401);
    for (const event of ["ping", "ping", "push"])
      await signedGitHubRequest({
        body: JSON.stringify({ event, n: Math.random() }),
        headers: { "x-github-event": event },
      });
    const after = { routed: await source("routed"), github: await source("github") };
    expect(delta(before.routed, after.routed).source).toEqual({ events: 1, defaulted: 0, dropped: 0 });
    expect(delta(before.github, after.github)).toEqual({
      source: { events: 3, defaulted: 0, dropped: 2 },
      rules: [
        ["builds", 1, 1, 0],
        ["triage", 0, 0, 0],
        ["pings", 2, 0, 2],
      ],
    });
  });
});
