/**
 * Rules in the configuration: a deployment's `[vars.SOURCES]` replaces a source's rules, and every
 * mistake fails the configuration when it loads (500, code 15001) with a message naming the
 * field: unknown queues, headers the source does not forward, unknown or missing operators,
 * nesting, condition, rule and length bounds, impossible actions, and rules on write-key sources.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { gatewayConfig } from "../src/config/gateway";
import { ConfigError, parseConfig } from "../src/config/load";
import { MAX_CONDITIONS_PER_RULE, MAX_RULES_PER_SOURCE } from "../src/rules/schema";
import { BENCH_RULES } from "./support/rules";

/** Replacing SOURCES drops the test-only sources, and with them the test-only write keys that name them. */
const DEV_WRITE_KEYS = JSON.stringify(
  (JSON.parse(env.WRITE_KEYS) as { source: string }[]).filter((k) => k.source === "segment"),
);
const withSources = (sources: Record<string, unknown>) =>
  ({ ...env, WRITE_KEYS: DEV_WRITE_KEYS, SOURCES: sources }) as Env;
const withGitHubRules = (rules: unknown) => withSources({ github: { rules } });

function configError(vars: Env): string {
  try {
    parseConfig(gatewayConfig(vars));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
}

const leaf = { event: "push" };
const nested = (depth: number): unknown => (depth === 1 ? leaf : { not: nested(depth - 1) });

describe("rules in the configuration", () => {
  it("the development github source ships its example rules, and [vars.SOURCES] replaces the whole list", () => {
    const shipped = parseConfig(gatewayConfig(withSources({}))).sources.github!;
    expect(shipped.queue).toBe("webhooks");
    expect(shipped.rules.map((r) => [r.match, r.route ?? (r.drop ? "drop" : "continue")])).toEqual([
      [{ event: "push" }, ["builds"]],
      [{ event: ["issues", "pull_request"] }, ["webhooks"]],
      [{ event: "ping" }, "drop"],
    ]);
    const replaced = parseConfig(gatewayConfig(withGitHubRules([{ match: { event: "release" }, route: "builds" }])))
      .sources.github!;
    expect(replaced.rules).toEqual([{ match: { event: "release" }, route: ["builds"] }]);
  });

  it("the README's Stripe example and the bench's five GitHub rules load as they are written", () => {
    const stripe = [
      { name: "test mode", match: { path: "livemode", equals: false }, drop: true },
      { name: "audit", route: "audit", continue: true },
      { name: "invoices", match: { event: "invoice.*" }, route: "billing" },
    ];
    const config = parseConfig(
      gatewayConfig(withSources({ stripe: { rules: stripe }, github: { rules: BENCH_RULES } })),
    );
    expect(config.sources.stripe?.rules).toHaveLength(3);
    expect(config.sources.github?.rules).toHaveLength(5);
    // As `[vars.SOURCES]` receives it: one JSON string (the bench's BENCH_RULES).
    const fromJson = parseConfig(
      gatewayConfig({
        ...withSources({}),
        SOURCES: JSON.stringify({ github: { rules: BENCH_RULES } }),
      } as unknown as Env),
    );
    expect(fromJson.sources.github?.rules.map((r) => r.name)).toEqual([
      "pings",
      "builds",
      "bots",
      "org hooks",
      "triage",
    ]);
  });

  it.each([
    [
      [{ route: "builds" }, { route: "webhooks" }, { route: "bilding" }],
      'sources.github.rules.2.route: no queue named "bilding"',
    ],
    [
      [{ match: { header: "x-custom", equals: "1" }, route: "builds" }],
      'sources.github.rules.0.match.header: "x-custom" is not a header this source forwards',
    ],
    [
      [{ match: { any: [leaf, { header: "authorization", exists: true }] }, drop: true }],
      'sources.github.rules.0.match.any.1.header: "authorization" is not a header',
    ],
    [
      [{ match: { path: "action", equal: "opened" }, route: "builds" }],
      'sources.github.rules.0.match: Unrecognized key: "equal"',
    ],
    [
      [{ match: { path: "action" }, route: "builds" }],
      "sources.github.rules.0.match: a path condition needs exactly one of equals, one_of, exists, prefix",
    ],
    [
      [{ match: { path: "action", equals: "a", prefix: "b" }, route: "builds" }],
      "sources.github.rules.0.match: a path condition needs exactly one of",
    ],
    [
      [{ match: { event: "push", path: "ref", exists: true }, route: "builds" }],
      "sources.github.rules.0.match: a condition has exactly one of event, header, path, all, any, not",
    ],
    [
      [{ match: { event: "push", equals: "x" }, route: "builds" }],
      "sources.github.rules.0.match.equals: applies to header and path conditions, not to event",
    ],
    [
      [{ match: { header: "x-github-event", equals: 1 }, route: "builds" }],
      "sources.github.rules.0.match.equals: header values are strings",
    ],
    [
      [{ match: nested(4), route: "builds" }],
      "sources.github.rules.0.match.not.not.not: conditions nest at most 3 levels deep",
    ],
    [
      [{ match: { any: Array.from({ length: MAX_CONDITIONS_PER_RULE + 1 }, () => leaf) }, route: "builds" }],
      "sources.github.rules.0.match.any: Too big",
    ],
    [
      [
        {
          match: {
            any: [{ all: Array.from({ length: 11 }, () => leaf) }, { all: Array.from({ length: 10 }, () => leaf) }],
          },
          route: "builds",
        },
      ],
      `sources.github.rules.0.match: a rule has at most ${MAX_CONDITIONS_PER_RULE} conditions`,
    ],
    [Array.from({ length: MAX_RULES_PER_SOURCE + 1 }, () => ({ route: "builds" })), "sources.github.rules: Too big"],
    [[{ match: { event: `${"x".repeat(200)}*` }, route: "builds" }], "sources.github.rules.0.match.event: Too big"],
    [[{ match: { path: "a..b", exists: true }, route: "builds" }], "sources.github.rules.0.match.path: dot-separated"],
    [
      [{ match: leaf, drop: true, continue: true }],
      "sources.github.rules.0.continue: drop stops evaluation: it cannot continue",
    ],
    [
      [{ match: leaf, drop: true, route: "builds" }],
      "sources.github.rules.0.drop: a rule either routes or drops, not both",
    ],
    [[{ match: leaf }], "sources.github.rules.0: a rule needs an action: route, drop: true or continue: true"],
    [[{ match: leaf, route: ["builds", "builds"] }], "sources.github.rules.0.route: names a queue twice"],
    [
      [{ match: leaf, route: ["a", "b", "c", "d", "e", "f"] }],
      "sources.github.rules.0.route: a queue name, or a list of 1 to 5 queue names",
    ],
  ])("names the field: %j", (rules, expected) => {
    expect(configError(withGitHubRules(rules))).toContain(expected);
  });

  it("a write_key source has no rules (Segment's tracking API routes to the source's queue)", () => {
    expect(configError(withSources({ segment: { rules: [{ route: "events" }] } }))).toContain(
      "sources.segment.rules: does not apply to a write_key source",
    );
  });

  it("a deployment with a broken rule answers 500 / 15001 naming the field", async () => {
    const res = await app.request(
      "/ingest/github",
      { method: "POST", body: "{}" },
      withGitHubRules([{ match: leaf, route: "bilding" }]),
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as { errors: { code: number; message: string }[] };
    expect(body.errors[0]?.code).toBe(15001);
    expect(body.errors[0]?.message).toContain('sources.github.rules.0.route: no queue named "bilding"');
  });
});
