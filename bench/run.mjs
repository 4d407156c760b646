// `npm run bench` (or `npm run bench:smoke`): starts each Worker in workerd under `wrangler dev`
// with the same flags (wrangler's local tracing off and no static-assets router in front, as in
// production: the ceiling too), drives it with autocannon on this machine, and prints a table plus
// a JSON file in bench/results/: speed as a ratio to a ceiling measured in the same run, and cost
// per row as Durable Object calls, rows written and upstream calls per 1,000 messages, priced per
// million messages. A full run also measures the buffered and direct-first rows as default
// `wrangler dev` serves them, for comparison. See docs/performance.md.
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseEnv, promisify } from "node:util";
import { freePort, groupCpuMs, load, median, pacedLoad, sleep, startWorker, withRss } from "./lib.mjs";

/**
 * Cloudflare's published prices (USD, paid plans, beyond the included amounts), as of 2026-11:
 * Workers requests, Durable Object requests and SQLite rows written, Queues operations (one per
 * 64 KB written, read or deleted, per message: a consumed message is a write, a read and a delete).
 */
const PRICES = {
  as_of: "2026-11",
  workers_request: 0.3e-6,
  do_request: 0.15e-6,
  do_row_written: 1.0e-6,
  queue_operation: 0.4e-6,
};
const QUEUE_OPERATIONS_PER_MESSAGE = 3;
/** Five rules for the GitHub row (issue 14): a drop, a route on event and ref, a payload match, a header match, the triage route. */
const BENCH_RULES = [
  { name: "pings", match: { event: "ping" }, drop: true },
  {
    name: "builds",
    match: { all: [{ event: "push" }, { path: "ref", prefix: "refs/heads/" }] },
    route: "webhooks-first",
  },
  { name: "bots", match: { path: "sender.type", equals: "Bot" }, drop: true },
  {
    name: "org hooks",
    match: { header: "x-github-hook-installation-target-type", equals: "organization" },
    continue: true,
  },
  { name: "triage", match: { event: ["issues", "issue_comment", "pull_request*"] }, route: "webhooks-rest" },
];
/** Cloudflare queue ids the benchmark's gateway believes in (the REST one is served by a second gateway). */
const IDS = { first: "a".repeat(32), spill: "b".repeat(32), rest: "c".repeat(32) };

const SMOKE = process.argv.includes("--smoke");
/** The idle-gap run: bursts at a fraction of buffered saturation, each followed by silence. */
const GAP_CYCLES = SMOKE ? 2 : 5;
const GAP_BURST_SECONDS = 2;
const GAP_IDLE_MS = 1_500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SMOKE ? 3 : 10));
const RUNS = Number(process.env.BENCH_RUNS ?? (SMOKE ? 1 : 3));
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? (SMOKE ? 0 : 60));
const MEMORY_WARMUP_SECONDS = Number(process.env.BENCH_MEMORY_WARMUP_SECONDS ?? 60);
const KEY = "local-dev-key";
const AUTH = { authorization: `Bearer ${KEY}` };

// Written as text: the id is beyond 2^53, as in real GitHub and Shopify payloads.
const payload = `{"action":"opened","issue":{"id":12345678901234567890,"title":"Benchmark issue","body":"${"x".repeat(200)}"},"repository":{"full_name":"acme/widgets"}}`;
const events = JSON.stringify(
  Array.from({ length: 50 }, (_, i) => ({ event: "screen_view", user_id: i, properties: { screen: "home", n: i } })),
);
let delivery = 0;

/**
 * A GitHub delivery, each one different: deliveries are recognised by their signed body, so the
 * body (and its signature) changes per request, as real deliveries do. Every row sends these, the
 * ceiling and the per-request Worker included, so the load generator does the same work for each.
 */
function githubRequest(path, headers = {}) {
  return {
    method: "POST",
    path,
    headers: { "content-type": "application/json", "x-github-event": "issues", ...headers },
    body: payload,
    setupRequest: (req) => {
      const n = ++delivery;
      const body = payload.replace('"opened"', `"opened-${process.pid}-${n}"`);
      const signed = `sha256=${createHmac("sha256", "local-dev-secret").update(body).digest("hex")}`;
      return {
        ...req,
        body,
        headers: { ...req.headers, "x-github-delivery": `bench-${process.pid}-${n}`, "x-hub-signature-256": signed },
      };
    },
  };
}

async function admin(gateway, path, method = "GET") {
  const res = await fetch(`${gateway.base}/admin${path}`, {
    method,
    headers: { ...AUTH, "content-type": "application/json" },
    body: method === "POST" ? "{}" : undefined,
  });
  return (await res.json()).result;
}

/**
 * The production Worker as `wrangler check startup` builds and profiles it: the upload's size
 * (uncompressed and gzip) and the CPU its startup took locally (Cloudflare reports its own figure
 * on deploy; a local profile is for comparing builds, not a promise).
 */
async function startup() {
  const { stdout, stderr } = await promisify(execFile)(
    "npx",
    [
      "wrangler",
      "check",
      "startup",
      "--args=--env production",
      "--outfile",
      join(tmpdir(), "tributary-startup.cpuprofile"),
    ],
    { env: { ...process.env, FORCE_COLOR: "0" } },
  );
  const text = stdout + stderr;
  const bundle = /Bundle: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
  const active = /Active: ([\d.]+) ms/.exec(text);
  return {
    bundle_kib: bundle ? Number(bundle[1]) : null,
    bundle_gzip_kib: bundle ? Number(bundle[2]) : null,
    startup_active_ms: active ? Number(active[1]) : null,
  };
}

/**
 * One shard alone (bench/workers/shard): enqueues per second over RPC with 1, 8 and 32 callers
 * waiting at once (group commit puts every waiting call in one transaction), each remembering a
 * delivery as a webhook does, plus 32 callers without; after a warm-up run. A floor: the
 * callers and the shard share the cores.
 */
async function shardCapacity(worker) {
  const run = async (concurrency, dedup, tag) => {
    const calls = (SMOKE ? 50 : 250) * Math.max(4, concurrency);
    const url = `${worker.base}/run?calls=${calls}&concurrency=${concurrency}&dedup=${dedup ? 1 : 0}&run=${tag}`;
    return (await fetch(url)).json();
  };
  await run(32, true, "warm");
  const rows = [];
  for (const concurrency of [1, 8, 32]) rows.push(await run(concurrency, true, `dedup-${concurrency}`));
  rows.push(await run(32, false, "plain-32"));
  return rows;
}

/** USD per million messages: the Worker requests, Durable Object calls and rows, and the queue's own operations. */
function costPerMillion({ requests, messages, doRequests, rowsWritten }) {
  const perMessage =
    (requests / messages) * PRICES.workers_request +
    (doRequests / messages) * PRICES.do_request +
    (rowsWritten / messages) * PRICES.do_row_written +
    QUEUE_OPERATIONS_PER_MESSAGE * PRICES.queue_operation;
  return perMessage * 1e6;
}

/** The buffer shards' cost counters of a queue (calls, rows written, commits), summed. */
function shardCosts(gateway, queue) {
  return { read: () => bufferCounters(gateway, queue) };
}

async function bufferCounters(gateway, queue) {
  const state = (await admin(gateway, "/queues")).find((q) => q.name === queue);
  return state.buffer;
}

/** One measured run: requests, messages, latency, push calls, cost counters and peak runtime memory. */
async function measure(worker, { requests, messagesPerRequest = 1, pushes, costs, seconds = SECONDS, rate }) {
  const before = pushes ? await pushes.before() : undefined;
  const costBefore = costs ? await costs.read() : undefined;
  const cpuBefore = await groupCpuMs(worker.pid);
  const { result, samples } = await withRss(worker.pid, () =>
    rate
      ? pacedLoad({ url: worker.base, duration: seconds, requests, rate })
      : load({ url: worker.base, duration: seconds, requests }),
  );
  const cpuMs = (await groupCpuMs(worker.pid)) - cpuBefore;
  const ok = result["2xx"];
  const messages = ok * messagesPerRequest;
  const pushCalls = pushes ? await pushes.after(before, messages) : messages / messagesPerRequest;
  const costAfter = costs ? await costs.read() : undefined;
  const per1000 = (n) => (messages ? (n / messages) * 1000 : 0);
  const doRequests = costs ? costAfter.requests - costBefore.requests : 0;
  const rowsWritten = costs ? costAfter.rows_written - costBefore.rows_written : 0;
  const calls = costs
    ? { commits: costAfter.commits - costBefore.commits, calls: costAfter.committed_calls - costBefore.committed_calls }
    : undefined;
  return {
    do_requests_per_1000: per1000(doRequests),
    rows_written_per_1000: per1000(rowsWritten),
    upstream_calls_per_1000: per1000(pushCalls),
    calls_per_commit: calls?.commits ? calls.calls / calls.commits : null,
    cost_per_million_usd: messages ? costPerMillion({ requests: ok, messages, doRequests, rowsWritten }) : null,
    rps: ok / seconds,
    mps: messages / seconds,
    cpu_us_per_request: ok ? (cpuMs * 1000) / (ok + result.non2xx) : null,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    messages_per_push: pushCalls ? messages / pushCalls : 0,
    peak_rss_mib: Math.max(0, ...samples.map((s) => s.kib)) / 1024,
  };
}

/** Push calls as the buffer counted them (flushing the tail first). */
function bufferPushes(gateway, queue) {
  return {
    before: () => bufferCounters(gateway, queue),
    after: async (before) => {
      await admin(gateway, `/queues/${queue}/flush`, "POST");
      const after = await bufferCounters(gateway, queue);
      const flushed = after.flushed_messages - before.flushed_messages;
      const flushes = after.flushes - before.flushes;
      return flushed ? flushes : 0;
    },
  };
}

/**
 * Bursts (at `rate` req/s, or as fast as the gateway answers) each followed by GAP_IDLE_MS of
 * silence, GAP_CYCLES times; then the buffer's own alarms push the tails. Messages per push,
 * hand-overs and rows written per 1,000 messages, from the shards' counters.
 */
async function idleGapRun(gateway, queue, path, { shards, rate, burstSeconds }) {
  const before = await bufferCounters(gateway, queue);
  let messages = 0;
  for (let i = 0; i < GAP_CYCLES; i++) {
    const options = { url: gateway.base, duration: burstSeconds, requests: [githubRequest(path)] };
    const result = rate ? await pacedLoad({ ...options, rate }) : await load(options);
    messages += result["2xx"];
    await sleep(GAP_IDLE_MS);
  }
  await sleep(2_500); // max_wait_ms (1 s) and the collector's alarm: the last tails leave on their own
  const after = await bufferCounters(gateway, queue);
  const pushes = after.flushes - before.flushes;
  return {
    shards,
    rate_rps: rate ?? "saturation",
    cycles: GAP_CYCLES,
    burst_seconds: burstSeconds,
    idle_ms: GAP_IDLE_MS,
    messages,
    pushes,
    pending_left: after.pending_messages,
    hand_overs: after.hand_overs - before.hand_overs,
    messages_per_push: (after.flushed_messages - before.flushed_messages) / (pushes || 1),
    rows_written_per_1000: ((after.rows_written - before.rows_written) / (messages || 1)) * 1000,
  };
}

async function consumeRun(gateway, seconds) {
  const queue = `${gateway.base}/client/v4/accounts/bench/queues/bench-consume/messages`;
  const headers = { ...AUTH, "content-type": "application/json" };
  const latencies = [];
  let requests = 0;
  let messages = 0;
  const end = Date.now() + seconds * 1000;
  const timed = async (url, body) => {
    const start = performance.now();
    const res = await fetch(url, { method: "POST", headers, body });
    const json = await res.json();
    latencies.push(performance.now() - start);
    requests++;
    return json.result;
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < end) {
        const pulled = await timed(
          `${queue}/pull`,
          JSON.stringify({ batch_size: 100, visibility_timeout_ms: 600_000 }),
        );
        if (!pulled.messages.length) break;
        await timed(`${queue}/ack`, JSON.stringify({ acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })) }));
        messages += pulled.messages.length;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    rps: requests / seconds,
    mps: messages / seconds,
    cpu_us_per_request: null,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    non2xx: 0,
    errors: 0,
    messages_per_push: null,
    do_requests_per_1000: null,
    rows_written_per_1000: null,
    upstream_calls_per_1000: null,
    calls_per_commit: null,
    cost_per_million_usd: null,
  };
}

async function drain(gateway, queue, running) {
  const url = `${gateway.base}/client/v4/accounts/bench/queues/${queue}/messages`;
  const headers = { ...AUTH, "content-type": "application/json" };
  while (running()) {
    const pulled = (
      await (await fetch(`${url}/pull`, { method: "POST", headers, body: JSON.stringify({ batch_size: 100 }) })).json()
    ).result;
    if (!pulled.messages.length) {
      await sleep(200);
      continue;
    }
    await fetch(`${url}/ack`, {
      method: "POST",
      headers,
      body: JSON.stringify({ acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })) }),
    });
  }
}

async function prefill(gateway, count) {
  const url = `${gateway.base}/client/v4/accounts/bench/queues/bench-consume/messages/batch`;
  const body = JSON.stringify({
    messages: Array.from({ length: 100 }, (_, i) => ({ body: { n: i, pad: "x".repeat(100) } })),
  });
  const requests = Math.ceil(count / 100);
  let done = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (done < requests) {
        done++;
        await fetch(url, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body });
      }
    }),
  );
}

function summarize(runs) {
  const keys = Object.keys(runs[0]);
  return Object.fromEntries(keys.map((k) => [k, runs[0][k] === null ? null : median(runs.map((r) => r[k]))]));
}

const fmt = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));

/** A GitHub source on `queue`, signed with the development secret. */
const githubSource = (queue, extra = {}) => ({
  queue,
  auth: { kind: "github", secret: "GITHUB_WEBHOOK_SECRET" },
  accept: ["json"],
  ...extra,
});

/** The gateway as production runs it: pushes through a producer binding (direct-first), a REST upstream for the buffered row. */
function gatewayVars(peerBase) {
  return {
    QUEUES_API_BASE_URL: `${peerBase}/client/v4`,
    QUEUES_API_TOKEN: KEY,
    QUEUES_ACCOUNT_ID: "bench",
    LOG_SUCCESS_SAMPLE_RATE: process.env.BENCH_LOG_SAMPLE_RATE ?? "0.1",
    QUEUES: JSON.stringify({
      "webhooks-first": { upstream: "binding", binding: "WEBHOOKS_QUEUE", cloudflare_id: IDS.first },
      // A binding that does not exist: every push fails and spills into the buffer.
      "webhooks-spill": {
        upstream: "binding",
        binding: "NO_SUCH_QUEUE",
        cloudflare_id: IDS.spill,
        buffer: { max_pending_messages: 2_000_000, max_pending_bytes: 2_000_000_000 },
      },
      "webhooks-rest": { upstream: "cloudflare", cloudflare_id: IDS.rest },
      // One shard: what a single shard takes (the capacity table in docs/buffer.md).
      "webhooks-one": { upstream: "cloudflare", cloudflare_id: IDS.rest, buffer: { shards: 1 } },
      // Eight shards at low load with idle gaps: partial batches are handed to one collector.
      "webhooks-wide": { upstream: "cloudflare", cloudflare_id: IDS.rest, buffer: { shards: 8 } },
      "bench-consume": { mode: "direct" },
    }),
    SOURCES: JSON.stringify({
      "github-first": githubSource("webhooks-first"),
      // Deduplication off: the healthy direct-first path touches no Durable Object at all.
      "github-first-nodedup": githubSource("webhooks-first", { idempotency_window_seconds: 0 }),
      "github-one": githubSource("webhooks-one"),
      "github-wide": githubSource("webhooks-wide"),
      "github-spill": githubSource("webhooks-spill"),
      "github-rest": githubSource("webhooks-rest"),
      // The same source with five rules, the benchmark's `issues` event tested by all five.
      "github-rules": githubSource("webhooks-rest", { rules: BENCH_RULES }),
      app: { rate_limit: null },
    }),
  };
}

async function main() {
  mkdirSync("bench/results", { recursive: true });
  // Production-like by default: wrangler's local tracing off and no static-assets router in front
  // (neither is billed as the Worker's CPU in production; the ceiling has neither).
  const start = async (config, vars = {}, devDefaults = false) =>
    startWorker({ config, port: await freePort(), vars, tracing: devDefaults, assets: devDefaults });
  const ceiling = await start("bench/workers/ceiling/wrangler.toml");
  const perRequest = await start("bench/workers/per-request/wrangler.toml");
  // Cloudflare's REST API for the buffered row: a second gateway serving its own local queue.
  const peer = await start("wrangler.toml", {
    LOG_SUCCESS_SAMPLE_RATE: "0",
    QUEUES: JSON.stringify({ "rest-store": { mode: "direct", cloudflare_id: IDS.rest } }),
  });
  const gateway = await start("wrangler.toml", gatewayVars(peer.base));
  const workers = [ceiling, perRequest, peer, gateway];
  const rows = [];
  try {
    const github =
      (path, queue, extra = {}) =>
      () => ({ requests: [githubRequest(path)], costs: shardCosts(gateway, queue), ...extra });
    const plan = [
      {
        name: "ceiling (minimal Hono route)",
        worker: ceiling,
        opts: () => ({ requests: [githubRequest("/")] }),
      },
      {
        name: "docs-style per-request send",
        worker: perRequest,
        opts: () => ({ requests: [githubRequest("/", { authorization: "Bearer bench-token" })] }),
      },
      {
        name: "github, direct-first via binding (healthy)",
        worker: gateway,
        opts: github("/ingest/github-first", "webhooks-first"),
      },
      {
        name: "github, direct-first, no deduplication",
        worker: gateway,
        opts: github("/ingest/github-first-nodedup", "webhooks-first"),
      },
      {
        name: "github, direct-first, binding failing (spill)",
        worker: gateway,
        opts: github("/ingest/github-spill", "webhooks-spill"),
      },
      {
        name: "github, buffered REST",
        worker: gateway,
        opts: github("/ingest/github-rest", "webhooks-rest", { pushes: bufferPushes(gateway, "webhooks-rest") }),
      },
      {
        name: "github, buffered REST, one shard",
        worker: gateway,
        opts: github("/ingest/github-one", "webhooks-one", { pushes: bufferPushes(gateway, "webhooks-one") }),
      },
      {
        name: "github, buffered REST, five rules",
        worker: gateway,
        opts: github("/ingest/github-rules", "webhooks-rest", { pushes: bufferPushes(gateway, "webhooks-rest") }),
      },
      {
        name: "app batch, 50 events/request (buffered)",
        worker: gateway,
        opts: () => ({
          requests: [
            {
              method: "POST",
              path: "/ingest/app",
              headers: { ...AUTH, "content-type": "application/json" },
              body: events,
            },
          ],
          messagesPerRequest: 50,
          pushes: bufferPushes(gateway, "events"),
          costs: shardCosts(gateway, "events"),
        }),
      },
      { name: "consume: pull 100 + ack 100", worker: gateway, consume: true },
    ];
    for (const row of plan) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        if (row.consume) {
          await prefill(gateway, SMOKE ? 20_000 : 150_000);
          const { result, samples } = await withRss(gateway.pid, () =>
            consumeRun(gateway, SMOKE ? 2 : Math.min(SECONDS, 5)),
          );
          runs.push({ ...result, peak_rss_mib: Math.max(0, ...samples.map((s) => s.kib)) / 1024 });
        } else {
          runs.push(await measure(row.worker, row.opts()));
        }
        await sleep(500);
      }
      rows.push({ name: row.name, runs, median: summarize(runs) });
      console.error(`done: ${row.name}`);
    }

    const row = (name) => rows.find((r) => r.name === name).median;
    const ceilingRps = row("ceiling (minimal Hono route)").rps;
    const ceilingCpu = row("ceiling (minimal Hono route)").cpu_us_per_request;
    const directFirst = row("github, direct-first via binding (healthy)");
    const noDedup = row("github, direct-first, no deduplication");
    const buffered = row("github, buffered REST");
    const oneShard = row("github, buffered REST, one shard");
    const withRules = row("github, buffered REST, five rules");

    // Runs with idle gaps, the buffer flushing on its own (no operator flush), every push counted:
    // bursts at saturation on the default two shards, and bursts at a third of it on eight.
    const saturatedGaps = await idleGapRun(gateway, "webhooks-rest", "/ingest/github-rest", {
      shards: 2,
      rate: null,
      burstSeconds: GAP_BURST_SECONDS * 2,
    });
    const idleGaps = await idleGapRun(gateway, "webhooks-wide", "/ingest/github-wide", {
      shards: 8,
      rate: Math.max(10, Math.round(buffered.rps / 3)),
      burstSeconds: GAP_BURST_SECONDS,
    });
    const half = Math.max(1, Math.round(directFirst.rps / 2));
    // At a steady rate (pacedLoad), the tail is the noisiest figure on a shared machine: the
    // ceiling and direct-first ingest (with and without deduplication) alternate, RUNS times
    // each, and the medians are compared.
    const halfPaths = {
      ceiling: [ceiling, "/"],
      direct_first: [gateway, "/ingest/github-first"],
      direct_first_no_dedup: [gateway, "/ingest/github-first-nodedup"],
    };
    const halfRuns = Object.fromEntries(Object.keys(halfPaths).map((k) => [k, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const [key, [worker, path]] of Object.entries(halfPaths))
        halfRuns[key].push(await measure(worker, { requests: [githubRequest(path)], rate: half }));
    }
    const halfLoad = {
      rate_rps: half,
      runs: RUNS,
      ...Object.fromEntries(Object.entries(halfRuns).map(([k, runs]) => [k, summarize(runs)])),
      p99_runs_ms: Object.fromEntries(Object.entries(halfRuns).map(([k, runs]) => [k, runs.map((r) => r.p99)])),
    };

    // The buffered and direct-first rows as default `wrangler dev` serves them (local tracing on,
    // the static-assets router in front), beside their own ceiling.
    let defaultDev = null;
    if (!SMOKE) {
      const devCeiling = await start("bench/workers/ceiling/wrangler.toml", {}, true);
      const devGateway = await start("wrangler.toml", gatewayVars(peer.base), true);
      workers.push(devCeiling, devGateway);
      const c = await measure(devCeiling, { requests: [githubRequest("/")] });
      const b = await measure(devGateway, { requests: [githubRequest("/ingest/github-rest")] });
      const d = await measure(devGateway, { requests: [githubRequest("/ingest/github-first")] });
      defaultDev = {
        ceiling_rps: c.rps,
        buffered_rps: b.rps,
        ratio: b.rps / c.rps,
        direct_first_rps: d.rps,
        direct_first_ratio: d.rps / c.rps,
        cpu_us_per_request: {
          ceiling: c.cpu_us_per_request,
          buffered: b.cpu_us_per_request,
          direct_first: d.cpu_us_per_request,
        },
      };
    }

    let memory = null;
    if (MEMORY_SECONDS > 0) {
      // A consumer drains the queue meanwhile, so stored messages do not pile up in SQLite and
      // what is measured is the gateway's own footprint under steady load.
      let draining = true;
      const drainer = drain(gateway, "webhooks", () => draining);
      // workerd's heap and caches grow for the first ~30-60 s under load (the ceiling Worker does
      // the same); memory is compared over the MEMORY_SECONDS that follow that warm-up.
      const { samples } = await withRss(
        gateway.pid,
        () =>
          load({
            url: gateway.base,
            duration: MEMORY_WARMUP_SECONDS + MEMORY_SECONDS,
            requests: [githubRequest("/ingest/github")],
          }),
        1000,
      );
      draining = false;
      await drainer;
      const start = samples[0]?.t ?? 0;
      const at = (from, to) =>
        samples.filter((s) => s.t - start >= from * 1000 && s.t - start < to * 1000).map((s) => s.kib / 1024);
      const measured = at(MEMORY_WARMUP_SECONDS, Number.POSITIVE_INFINITY);
      const end = MEMORY_WARMUP_SECONDS + MEMORY_SECONDS;
      memory = {
        warmup_seconds: MEMORY_WARMUP_SECONDS,
        seconds: MEMORY_SECONDS,
        first_10s_mib: median(at(MEMORY_WARMUP_SECONDS, MEMORY_WARMUP_SECONDS + 10)),
        last_10s_mib: median(at(end - 10, end + 5)),
        peak_mib: Math.max(...measured),
      };
    }

    const worker = await startup();
    // The gateway's configuration loads in the shard: the same development secrets as the gateway's.
    const shardWorker = await start(
      "bench/workers/shard/wrangler.toml",
      parseEnv(readFileSync(".dev.vars.example", "utf8")),
    );
    workers.push(shardWorker);
    const shard = await shardCapacity(shardWorker);
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model,
        memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
        node: process.version,
      },
      settings: {
        seconds: SECONDS,
        runs: RUNS,
        connections: 32,
        smoke: SMOKE,
        local_tracing: false,
        static_assets_router: false,
        prices: PRICES,
      },
      rows: rows.map((r) => ({
        name: r.name,
        ...r.median,
        ratio_to_ceiling: r.median.rps / ceilingRps,
        cpu_ratio_to_ceiling: r.median.cpu_us_per_request ? ceilingCpu / r.median.cpu_us_per_request : null,
        runs: r.runs,
      })),
      half_load: halfLoad,
      idle_gaps: { saturated: saturatedGaps, low_load: idleGaps },
      default_dev: defaultDev,
      production_worker: worker,
      one_shard: shard,
      memory,
      targets: {
        direct_first_rps_ratio: directFirst.rps / ceilingRps,
        direct_first_no_dedup_rps_ratio: noDedup.rps / ceilingRps,
        buffered_rps_ratio: buffered.rps / ceilingRps,
        direct_first_cpu_ratio: ceilingCpu / directFirst.cpu_us_per_request,
        buffered_cpu_ratio: ceilingCpu / buffered.cpu_us_per_request,
        /** What a deduplication claim (one shard call, one row) costs a direct-first request, in CPU. */
        dedup_claim_cpu_us: directFirst.cpu_us_per_request - noDedup.cpu_us_per_request,
        one_shard_rps: oneShard.rps,
        one_shard_alone_enqueues_per_second: shard.find((r) => r.dedup && r.concurrency === 32).calls_per_second,
        one_shard_calls_per_commit: oneShard.calls_per_commit,
        buffered_messages_per_push: buffered.messages_per_push,
        idle_gaps_messages_per_push: saturatedGaps.messages_per_push,
        low_load_eight_shards_messages_per_push: idleGaps.messages_per_push,
        buffered_rows_per_message: buffered.rows_written_per_1000 / 1000,
        five_rules_rps_ratio_to_buffered: withRules.rps / buffered.rps,
        direct_first_rows_per_delivery: directFirst.rows_written_per_1000 / 1000,
        half_load_p99_gap_ms: halfLoad.direct_first.p99 - halfLoad.ceiling.p99,
        half_load_p99_gap_no_dedup_ms: halfLoad.direct_first_no_dedup.p99 - halfLoad.ceiling.p99,
        memory_growth_mib: memory ? memory.last_10s_mib - memory.first_10s_mib : null,
      },
    };

    const header = [
      "row",
      "req/s",
      "msg/s",
      "p50 ms",
      "p99 ms",
      "× ceiling",
      "CPU µs/req",
      "× ceiling CPU",
      "msg/push",
      "upstream calls/1k",
      "DO calls/1k",
      "rows/1k",
      "$/M msg",
      "peak RSS MiB",
    ];
    const lines = report.rows.map((r, i) => [
      r.name,
      fmt(r.rps),
      fmt(r.mps),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.ratio_to_ceiling, 2),
      fmt(r.cpu_us_per_request),
      fmt(r.cpu_ratio_to_ceiling, 2),
      fmt(r.messages_per_push, 1),
      i === 0 ? "—" : fmt(r.upstream_calls_per_1000, 1),
      fmt(r.do_requests_per_1000, 1),
      fmt(r.rows_written_per_1000, 1),
      i === 0 ? "—" : fmt(r.cost_per_million_usd, 3),
      fmt(r.peak_rss_mib),
    ]);
    const table = [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
    console.log(table);
    console.log(
      `\nhalf of direct-first saturation (${half} req/s, steady, median of ${RUNS}; p50/p90/p99 ms): ${Object.keys(
        halfPaths,
      )
        .map(
          (k) =>
            `${k} ${halfLoad[k].p50}/${halfLoad[k].p90}/${halfLoad[k].p99} (p99 runs: ${halfLoad.p99_runs_ms[k].join(", ")})`,
        )
        .join("; ")}`,
    );
    for (const g of [saturatedGaps, idleGaps])
      console.log(
        `idle gaps on ${g.shards} shards (${g.cycles} × ${g.burst_seconds} s at ${g.rate_rps} req/s, ${g.idle_ms} ms idle): ${g.messages} messages in ${g.pushes} pushes = ${fmt(g.messages_per_push, 1)} per push, ${g.hand_overs} hand-overs, ${fmt(g.rows_written_per_1000)} rows/1k`,
      );
    for (const r of shard)
      console.log(
        `one shard alone, ${r.concurrency} caller(s)${r.dedup ? ", remembering deliveries" : ""}: ${fmt(r.calls_per_second)} enqueues/s, ${fmt(r.commits_per_second)} commits/s, ${fmt(r.calls_per_commit, 1)} calls per commit, ${fmt(r.rows_written_per_call, 2)} rows per call`,
      );
    console.log(
      `production Worker: ${fmt(worker.bundle_kib)} KiB uploaded (${fmt(worker.bundle_gzip_kib)} KiB gzip), startup ${fmt(worker.startup_active_ms, 1)} ms of CPU locally (wrangler check startup)`,
    );
    if (defaultDev)
      console.log(
        `default wrangler dev (local tracing on, static-assets router in front): buffered REST ${fmt(defaultDev.buffered_rps)} req/s = ${fmt(defaultDev.ratio, 2)}× its ceiling, direct-first ${fmt(defaultDev.direct_first_rps)} req/s = ${fmt(defaultDev.direct_first_ratio, 2)}×`,
      );
    console.log(
      `prices (${PRICES.as_of}): Workers $0.30/M requests, DO $0.15/M requests, $1.00/M rows written, Queues $0.40/M operations (3 per message)`,
    );
    if (memory)
      console.log(
        `memory over ${memory.seconds} s of buffered load after ${memory.warmup_seconds} s of warm-up: ${fmt(memory.first_10s_mib)} MiB at the start, ${fmt(memory.last_10s_mib)} MiB at the end, peak ${fmt(memory.peak_mib)} MiB`,
      );
    console.log(JSON.stringify(report.targets));
    const file = `bench/results/${SMOKE ? "smoke" : "bench"}-${report.date.replace(/[:.]/g, "-")}.json`;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten: ${file}`);

    if (SMOKE) {
      const problems = [];
      if (!(directFirst.rps > 0)) problems.push("direct-first ingest accepted nothing");
      if (!(buffered.rps > 0)) problems.push("buffered ingest accepted nothing");
      if (!(buffered.messages_per_push >= 20))
        problems.push(`batches did not fill (${fmt(buffered.messages_per_push, 1)} messages per push)`);
      if (rows.some((r) => r.median.non2xx > 0 && r.name !== "ceiling (minimal Hono route)"))
        problems.push("non-2xx answers under load");
      if (problems.length) {
        console.error(`smoke failed: ${problems.join("; ")}`);
        process.exitCode = 1;
      }
    }
  } finally {
    for (const w of workers) w.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
