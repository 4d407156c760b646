/**
 * Tests run inside workerd with the Cloudflare Vitest integration (@cloudflare/vitest-plugin,
 * formerly @cloudflare/vitest-pool-workers) against wrangler.toml's development configuration.
 * Everything test-specific lives here, once: development secrets from .dev.vars.example, extra
 * test keys and queues, and the one stand-in for Cloudflare's REST API (test/peers/), which
 * receives all outbound fetches of the Worker.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { defineConfig } from "vitest/config";
import * as T from "./test/support/constants.ts";
import { RULES_QUEUES, RULES_SOURCES } from "./test/support/rules.ts";
import { TEST_LIMITS, TRACKING_QUEUES, TRACKING_SOURCES, WRITE_KEYS } from "./test/support/write-keys.ts";

const devVars = parseEnv(readFileSync(".dev.vars.example", "utf8")) as Record<string, string>;

// The plugin reads wrangler.toml through wrangler, which announces "Using secrets defined in
// .dev.vars" once per test file; the bindings below set those values anyway. Its warnings and
// errors still print; WRANGLER_LOG=log (or debug) in the shell brings the rest back.
process.env.WRANGLER_LOG ??= "warn";
const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

const keys = [
  ...JSON.parse(devVars.GATEWAY_KEYS ?? "[]"),
  ...Object.entries(T.KEYS)
    .filter(([, k]) => "scopes" in k)
    .map(([name, k]) => ({
      name,
      sha256: sha256(k.key),
      queues: (k as { queues: unknown }).queues,
      scopes: (k as { scopes: unknown }).scopes,
    })),
];

/** Write keys: the development one plus the tracking tests' (test/support/write-keys.ts), hashed. */
const writeKeys = [
  ...JSON.parse(devVars.WRITE_KEYS ?? "[]"),
  ...Object.entries(WRITE_KEYS)
    .filter(([name]) => name !== "dev")
    .map(([name, k]) => ({ name, sha256: sha256(k.key), source: k.source })),
];

/**
 * Test queues. The example queues run in direct mode here, so the queue-semantics tests see a
 * push at once; the buffer has queues of its own (buffer.test.ts).
 */
const direct = { mode: "direct" };
const testQueues = {
  webhooks: direct,
  events: direct,
  forms: direct,
  "dead-letters": direct,
  remote: { ...direct, upstream: "cloudflare", cloudflare_id: T.REMOTE_QUEUE_ID },
  bound: { ...direct, upstream: "binding", cloudflare_id: T.BOUND_QUEUE_ID, binding: "BOUND_PRODUCER" },
  "short-lived": { ...direct, max_retries: 1, retention_seconds: 60, dead_letter_queue: "dead-letters" },
  "no-dlq": { ...direct, max_retries: 0 },
  buffered: { buffer: { shards: 2, max_wait_ms: 200 } },
  "buffered-one": { buffer: { shards: 1, max_wait_ms: 200 } },
  // Two shards and a minute's wait: tests move the shards' clocks, no alarm fires on its own.
  "buffered-pair": { buffer: { shards: 2, max_wait_ms: 60_000 } },
  "buffered-remote": {
    upstream: "cloudflare",
    cloudflare_id: T.BUFFERED_REMOTE_QUEUE_ID,
    buffer: { shards: 1, max_wait_ms: 200 },
  },
  "small-buffer": { buffer: { shards: 1, max_wait_ms: 60_000, max_pending_messages: 5 } },
  // The resilience suite's queue: REST upstream with faults, 4 shards, modest backpressure cap.
  resilient: {
    upstream: "cloudflare",
    cloudflare_id: T.RESILIENT_QUEUE_ID,
    buffer: { shards: 4, max_wait_ms: 200, max_pending_messages: 3_000 },
  },
  // The resilience suite's direct-first queue: a producer binding that fails 30% of sends and goes down.
  "resilient-first": {
    upstream: "binding",
    cloudflare_id: T.FAULTY_QUEUE_ID,
    binding: "FAULTY_PRODUCER",
    buffer: { shards: 4, max_wait_ms: 200, max_pending_messages: 3_000 },
  },
  // Direct-first: pushed before answering, spilled into the buffer when the upstream refuses.
  spilling: {
    mode: "direct_first",
    upstream: "cloudflare",
    cloudflare_id: T.SPILLING_QUEUE_ID,
    buffer: { shards: 2, max_wait_ms: 200 },
  },
  // Direct-first through a producer binding (the production default); and one whose binding is missing.
  "first-bound": { upstream: "binding", cloudflare_id: T.BOUND_QUEUE_ID, binding: "BOUND_PRODUCER" },
  "first-unbound": {
    upstream: "binding",
    cloudflare_id: T.BOUND_QUEUE_ID,
    binding: "NO_SUCH_PRODUCER",
    buffer: { shards: 2, max_wait_ms: 60_000 },
  },
  ...TRACKING_QUEUES,
  ...RULES_QUEUES,
};

/** Sources only the tests have, beside the example ones from src/config/sources.ts. */
const testSources = {
  ...TRACKING_SOURCES,
  ...RULES_SOURCES,
  rotating: { queue: "webhooks", auth: { kind: "github", secret: "ROTATING_SECRETS" }, accept: ["json"] },
  remote: { queue: "remote", auth: { kind: "github", secret: "GITHUB_WEBHOOK_SECRET" }, accept: ["json"] },
  raw: { queue: "events", auth: { kind: "none" }, accept: ["json", "text", "form"], format: "raw", delay_seconds: 1 },
  files: {
    queue: "forms",
    auth: { kind: "none" },
    accept: ["multipart"],
    form: { max_file_bytes: 1000, error_url: "https://site.example/oops" },
  },
  human: {
    queue: "forms",
    auth: { kind: "none" },
    accept: ["form"],
    form: { turnstile: true, success_url: "https://site.example/thanks" },
  },
  proxied: {
    queue: "webhooks",
    auth: { kind: "twilio", secret: "TWILIO_AUTH_TOKEN", public_base_url: T.TWILIO_PUBLIC_BASE_URL },
    accept: ["form", "json"],
  },
  basic: { queue: "webhooks", auth: { kind: "basic", secret: "BASIC_CREDENTIALS" }, accept: ["json"] },
  limited: {
    queue: "events",
    auth: { kind: "key" },
    accept: ["json"],
    rate_limit: { binding: "TEST_RATE_LIMIT", by: "key" },
  },
  "buffered-app": { queue: "buffered", auth: { kind: "key" }, accept: ["json"], batch: true },
  "small-buffer": {
    queue: "small-buffer",
    auth: { kind: "none" },
    accept: ["json"],
    // Deliveries with an Idempotency-Key are remembered: a refused one must not be.
    idempotency_window_seconds: 600,
  },
  resilient: { queue: "resilient", auth: { kind: "key" }, accept: ["json"], batch: true },
  "resilient-first": { queue: "resilient-first", auth: { kind: "key" }, accept: ["json"], batch: true },
  spilling: { queue: "spilling", auth: { kind: "key" }, accept: ["json"], batch: true },
  "first-bound": {
    queue: "first-bound",
    auth: { kind: "key" },
    accept: ["json"],
    batch: true,
    idempotency_window_seconds: 0,
  },
  "first-bound-dedup": { queue: "first-bound", auth: { kind: "key" }, accept: ["json"], batch: true },
  "first-unbound": { queue: "first-unbound", auth: { kind: "key" }, accept: ["json"], batch: true },
  tiny: {
    queue: "webhooks",
    auth: { kind: "none" },
    accept: ["json", "text"],
    max_body_bytes: 2000,
    cors: { origins: ["https://site.example"] },
  },
  // A sender that expects a specific answer (custom synchronous response).
  answered: {
    queue: "webhooks",
    auth: { kind: "none" },
    accept: ["json"],
    response: { status: 200, content_type: "application/xml", body: '<ok id="{{id}}"/>' },
  },
};

const peerScript = "node_modules/.cache/tributary/cloudflare-api.js";
buildSync({
  entryPoints: ["test/peers/cloudflare-api.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2024",
  external: ["cloudflare:*", "node:*"],
  // As wrangler.toml's Text rules: the console's browser files are imported as text.
  loader: { ".browser.js": "text", ".browser.css": "text" },
  outfile: peerScript,
  logLevel: "warning",
});

export default defineConfig({
  // Vite's only warnings in a test run are about dependencies' source maps: stripe (~220
  // modules), standardwebhooks and discord-interactions ship maps without their sources, one line
  // per module whenever the transform cache is cold (a fresh clone, CI). Errors still print, and
  // so does everything a failing test logs.
  logLevel: "error",
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ...devVars,
          GATEWAY_KEYS: JSON.stringify(keys),
          WRITE_KEYS: JSON.stringify(writeKeys),
          QUEUES_ACCOUNT_ID: T.ACCOUNT_ID,
          QUEUES_API_BASE_URL: T.QUEUES_API_BASE_URL,
          QUEUES_API_TOKEN: T.QUEUES_API_TOKEN,
          QUEUES_API_TIMEOUT_MS: String(T.QUEUES_API_TIMEOUT_MS),
          QUEUES: testQueues,
          // Plain JSON: the rules' object literals only widen to optional fields in TypeScript's eyes.
          SOURCES: JSON.parse(JSON.stringify(testSources)),
          // `npm run test:resilience:long` sends 100,000 messages per scenario; CI's short mode 10,000.
          RESILIENCE_MESSAGES: process.env.TRIBUTARY_RESILIENCE_MESSAGES ?? "10000",
          ROTATING_SECRETS: JSON.stringify(T.ROTATING_SECRETS),
          BASIC_CREDENTIALS: JSON.stringify(T.BASIC_CREDENTIALS),
          TURNSTILE_SECRET_KEY: T.TURNSTILE_TEST_SECRET,
        },
        queueProducers: { BOUND_PRODUCER: { queueName: "bound-queue" } },
        serviceBindings: { FAULTY_PRODUCER: { name: "cloudflare-api", entrypoint: "FaultyProducer" } },
        ratelimits: {
          TEST_RATE_LIMIT: { namespace_id: "9001", simple: { limit: 2, period: 60 } },
          TEST_TRACK_IP_LIMIT: { namespace_id: "9002", simple: { limit: TEST_LIMITS.ip, period: 60 } },
          TEST_TRACK_USER_LIMIT: { namespace_id: "9003", simple: { limit: TEST_LIMITS.user, period: 60 } },
        },
        outboundService: "cloudflare-api",
        workers: [
          {
            name: "cloudflare-api",
            modules: true,
            scriptPath: peerScript,
            compatibilityDate: "2026-11-01",
            compatibilityFlags: ["nodejs_compat"],
            durableObjects: { LOCAL_QUEUE: { className: "LocalQueue", useSQLite: true } },
            queueConsumers: { "bound-queue": { maxBatchTimeout: 0.05 } },
            bindings: {
              ...devVars,
              ENVIRONMENT: "stand-in",
              // An auxiliary worker's console bypasses vitest's per-test capture (silent:
              // "passed-only"): the stand-in logs no successful request, only refusals and errors.
              LOG_SUCCESS_SAMPLE_RATE: "0",
              QUEUE_UPSTREAM: "local",
              QUEUES_ACCOUNT_ID: T.ACCOUNT_ID,
              QUEUES_API_BASE_URL: "https://api.cloudflare.com/client/v4",
              QUEUES_API_TIMEOUT_MS: "10000",
              QUEUES_API_TOKEN: "",
              BOUND_QUEUE_ID: T.BOUND_QUEUE_ID,
              FAULTY_QUEUE_ID: T.FAULTY_QUEUE_ID,
              // Cloudflare's side: messages land at once.
              QUEUES: {
                "remote-store": { mode: "direct", cloudflare_id: T.REMOTE_QUEUE_ID },
                "bound-store": { mode: "direct", cloudflare_id: T.BOUND_QUEUE_ID },
                "buffered-remote-store": { mode: "direct", cloudflare_id: T.BUFFERED_REMOTE_QUEUE_ID },
                "resilient-store": { mode: "direct", cloudflare_id: T.RESILIENT_QUEUE_ID },
                "spilling-store": { mode: "direct", cloudflare_id: T.SPILLING_QUEUE_ID },
                "faulty-store": { mode: "direct", cloudflare_id: T.FAULTY_QUEUE_ID },
              },
              GATEWAY_KEYS: JSON.stringify([
                {
                  name: "gateway",
                  sha256: sha256(T.QUEUES_API_TOKEN),
                  queues: "*",
                  scopes: ["push", "pull", "ack", "peek", "purge"],
                },
              ]),
            },
          },
        ],
      },
    }),
  ],
  test: {
    // `npm run test:resilience` runs the long fault and load suite (test/resilience/) instead.
    include:
      process.env.TRIBUTARY_SUITE === "resilience" ? ["test/resilience/**/*.resilience.ts"] : ["test/**/*.test.ts"],
    testTimeout: process.env.TRIBUTARY_SUITE === "resilience" ? 3_600_000 : 20_000,
    // The Worker logs one JSON line per request; show them only for failing tests. The resilience
    // suite prints its report (and nothing else it logs) whether it passes or not.
    ...(process.env.TRIBUTARY_SUITE === "resilience"
      ? { silent: false, onConsoleLog: (log: string) => log.startsWith("resilience report") }
      : { silent: "passed-only" as const }),
    // Passing tests slower than this are listed by name (ms). Vitest's 300 lists dozens on a busy
    // 2-core machine, which is noise; over a second it is a real sleep or a load test.
    slowTestThreshold: 1_000,
  },
});
