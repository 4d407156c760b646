/**
 * What evaluating rules costs: five rules (BENCH_RULES, test/support/rules.ts) over a typical
 * GitHub `issues` delivery, 100,000 times, for an event that every rule tests (the worst case)
 * and for one the first rule decides. Prints ns per evaluation (run with --silent=false); it
 * asserts the decisions, never a time.
 */
import { describe, expect, it } from "vitest";
import { decide, type RuleInput } from "../src/rules/match";
import { Rules } from "../src/rules/schema";
import { BENCH_RULES } from "./support/rules";

const RUNS = 100_000;
const WARM_UP = 10_000;

/** An `issues` delivery as GitHub sends it (trimmed to the fields that matter for size and depth). */
const payload = JSON.parse(
  JSON.stringify({
    action: "opened",
    issue: {
      id: 1_296_269_001,
      number: 1347,
      title: "Found a bug",
      user: { login: "octocat", id: 1, type: "User", site_admin: false },
      labels: [{ id: 208045946, name: "bug", color: "f29513", default: true }],
      state: "open",
      locked: false,
      assignees: [],
      comments: 0,
      created_at: "2026-11-25T19:01:12Z",
      body: "I'm having a problem with this.",
      reactions: { total_count: 0, "+1": 0, "-1": 0 },
    },
    repository: {
      id: 1296269,
      name: "Hello-World",
      full_name: "octocat/Hello-World",
      private: false,
      owner: { login: "octocat", id: 1, type: "User" },
      default_branch: "main",
      topics: ["octocat", "api"],
    },
    sender: { login: "octocat", id: 1, type: "User", site_admin: false },
  }),
);
const headers = {
  "x-github-event": "issues",
  "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  "x-github-hook-id": "292430182",
  "x-github-hook-installation-target-type": "repository",
  "x-github-hook-installation-target-id": "79929171",
  "user-agent": "GitHub-Hookshot/044aadd",
};

function measure(input: RuleInput): { nsPerOp: number; queues: string[] } {
  const rules = Rules.parse(BENCH_RULES);
  let queues: string[] = [];
  for (let i = 0; i < WARM_UP; i++) queues = decide(rules, input, "webhooks").queues;
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) queues = decide(rules, input, "webhooks").queues;
  return { nsPerOp: ((performance.now() - started) * 1e6) / RUNS, queues };
}

describe("rule evaluation cost", () => {
  it("five rules over a GitHub issues delivery: all five tested, and the first deciding", async ({ annotate }) => {
    const all = measure({ event: "issues", headers, data: payload });
    const first = measure({
      event: "ping",
      headers: { ...headers, "x-github-event": "ping" },
      data: { zen: "Design for failure." },
    });
    expect(all.queues).toEqual(["webhooks"]);
    expect(first.queues).toEqual([]);
    const line = `rules: ${Math.round(all.nsPerOp)} ns/op with all 5 rules tested, ${Math.round(first.nsPerOp)} ns/op when the first decides (${RUNS} runs each)`;
    console.log(line);
    await annotate(line);
  });
});
