/**
 * Test-only sources with rules and the queues they route to, shared by vitest.config.ts (Node:
 * added to SOURCES and QUEUES) and the rules tests (workerd). The development `github` source's
 * rules (src/config/sources.ts) are tested as shipped.
 */

const direct = { mode: "direct" };

/** Where `routed` fans out to (direct, so a push is visible at once); `builds` is the development queue of GitHub pushes. */
export const RULES_QUEUES = { builds: direct, billing: direct, audit: direct };

/**
 * `routed`: Stripe-like events (their `type` is the event), one per request or a batch, with a
 * rule for every match kind and action. Default queue: `events`.
 */
export const ROUTED_RULES = [
  { name: "audit flagged", match: { path: "audit", equals: true }, route: "audit", continue: true },
  { name: "test tenants", match: { header: "x-tenant", prefix: "test-" }, drop: true },
  { name: "count customers", match: { event: "customer.*" }, continue: true },
  { name: "invoices", match: { event: "invoice.*" }, route: ["billing"] },
  {
    name: "live customers",
    match: {
      all: [
        { event: ["customer.created", "customer.updated"] },
        { not: { path: "data.object.livemode", equals: false } },
      ],
    },
    route: ["billing", "audit"],
  },
  {
    name: "refunds",
    match: { path: "data.object.status", one_of: ["refunded", "partially_refunded"] },
    route: "audit",
  },
  {
    name: "vip",
    match: {
      any: [
        { header: "x-tenant", equals: "vip" },
        { path: ["metadata", "tier.level"], exists: true },
      ],
    },
    route: "billing",
  },
  { name: "pings", match: { event: "ping" }, drop: true },
];

export const RULES_SOURCES = {
  routed: {
    queue: "events",
    auth: { kind: "key" },
    accept: ["json"],
    batch: true,
    event_field: "type",
    headers: ["x-tenant"],
    rules: ROUTED_RULES,
  },
  // Fan-out across a local queue, one behind the Cloudflare stand-in (whose pushes can be made to fail), and a buffered one.
  "routed-remote": {
    queue: "webhooks",
    auth: { kind: "key" },
    accept: ["json"],
    event_field: "type",
    rules: [
      { match: { event: "local-first" }, route: ["webhooks", "remote"] },
      { match: { event: "remote-first" }, route: ["remote", "webhooks"] },
      { match: { event: "elsewhere" }, route: ["audit", "remote"] },
      { match: { event: "to-buffer" }, route: ["webhooks", "buffered"] },
    ],
  },
  // A source on a buffered queue (the production default): its routing records live in a buffer shard.
  "routed-buffered": {
    queue: "buffered",
    auth: { kind: "key" },
    accept: ["json"],
    headers: ["x-route"],
    rules: [{ match: { header: "x-route", equals: "away" }, route: "audit" }],
  },
  // A contact form that drops posts whose message is missing or empty.
  "routed-form": {
    queue: "forms",
    auth: { kind: "none" },
    accept: ["form"],
    form: {},
    rules: [
      {
        name: "empty message",
        match: {
          any: [
            { path: "message", exists: false },
            { path: "message", equals: "" },
          ],
        },
        drop: true,
      },
    ],
  },
};

/**
 * Five rules for the GitHub bench row (`BENCH_RULES`, as JSON in `[vars.SOURCES]` github.rules):
 * every match kind, and an `issues` event (the bench's) is tested by all five before it routes.
 */
export const BENCH_RULES = [
  { name: "pings", match: { event: "ping" }, drop: true },
  { name: "builds", match: { all: [{ event: "push" }, { path: "ref", prefix: "refs/heads/" }] }, route: "builds" },
  { name: "bots", match: { path: "sender.type", equals: "Bot" }, drop: true },
  {
    name: "org hooks",
    match: { header: "x-github-hook-installation-target-type", equals: "organization" },
    continue: true,
  },
  { name: "triage", match: { event: ["issues", "issue_comment", "pull_request*"] }, route: "webhooks" },
];
