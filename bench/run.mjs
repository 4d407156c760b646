// `npm run bench` (or `npm run bench:smoke`): starts each Worker in workerd under `wrangler dev`
// with the same flags, drives it with autocannon on this machine, and prints a table plus a JSON
// file in bench/results/. See README, "Performance".
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { load, median, sleep, startWorker, withRss } from "./lib.mjs";

const SMOKE = process.argv.includes("--smoke");
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SMOKE ? 3 : 10));
const RUNS = Number(process.env.BENCH_RUNS ?? (SMOKE ? 1 : 3));
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? (SMOKE ? 0 : 60));
const MEMORY_WARMUP_SECONDS = Number(process.env.BENCH_MEMORY_WARMUP_SECONDS ?? 60);
const KEY = "local-dev-key";
const AUTH = { authorization: `Bearer ${KEY}` };

// Written as text: the id is beyond 2^53, as in real GitHub and Shopify payloads.
const payload = `{"action":"opened","issue":{"id":12345678901234567890,"title":"Benchmark issue","body":"${"x".repeat(200)}"},"repository":{"full_name":"acme/widgets"}}`;
const signature = `sha256=${createHmac("sha256", "local-dev-secret").update(payload).digest("hex")}`;
const events = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ event: "screen_view", user_id: i, properties: { screen: "home", n: i } })));
let delivery = 0;

function githubRequest(path) {
  return {
    method: "POST",
    path,
    headers: { "content-type": "application/json", "x-github-event": "issues", "x-hub-signature-256": signature },
    body: payload,
    setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-github-delivery": `bench-${process.pid}-${++delivery}` } }),
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

async function bufferCounters(gateway, queue) {
  const state = (await admin(gateway, "/queues")).find((q) => q.name === queue);
  return state.buffer;
}

/** One measured run: requests, messages, latency, push calls and peak runtime memory. */
async function measure(worker, { requests, messagesPerRequest = 1, pushes, seconds = SECONDS, overallRate }) {
  const before = pushes ? await pushes.before() : undefined;
  const { result, samples } = await withRss(worker.pid, () => load({ url: worker.base, duration: seconds, requests, ...(overallRate && { overallRate }) }));
  const ok = result["2xx"];
  const messages = ok * messagesPerRequest;
  const pushCalls = pushes ? await pushes.after(before, messages) : messages;
  return {
    rps: ok / seconds,
    mps: messages / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    pushes_per_1000: messages ? (pushCalls / messages) * 1000 : 0,
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
        const pulled = await timed(`${queue}/pull`, JSON.stringify({ batch_size: 100, visibility_timeout_ms: 600_000 }));
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
    p50: at(0.5),
    p99: at(0.99),
    non2xx: 0,
    errors: 0,
    pushes_per_1000: null,
    messages_per_push: null,
  };
}

async function drain(gateway, queue, running) {
  const url = `${gateway.base}/client/v4/accounts/bench/queues/${queue}/messages`;
  const headers = { ...AUTH, "content-type": "application/json" };
  while (running()) {
    const pulled = (await (await fetch(`${url}/pull`, { method: "POST", headers, body: JSON.stringify({ batch_size: 100 }) })).json()).result;
    if (!pulled.messages.length) {
      await sleep(200);
      continue;
    }
    await fetch(`${url}/ack`, { method: "POST", headers, body: JSON.stringify({ acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })) }) });
  }
}

async function prefill(gateway, count) {
  const url = `${gateway.base}/client/v4/accounts/bench/queues/bench-consume/messages/batch`;
  const body = JSON.stringify({ messages: Array.from({ length: 100 }, (_, i) => ({ body: { n: i, pad: "x".repeat(100) } })) });
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

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const ceiling = await startWorker({ config: "bench/workers/ceiling/wrangler.toml", port: 8901 });
  const perRequest = await startWorker({ config: "bench/workers/per-request/wrangler.toml", port: 8902 });
  const gateway = await startWorker({
    config: "wrangler.toml",
    port: 8903,
    vars: {
      QUEUES: JSON.stringify({ "webhooks-direct": { mode: "direct" }, "bench-consume": { mode: "direct" } }),
      SOURCES: JSON.stringify({
        "github-direct": { queue: "webhooks-direct", auth: { kind: "github", secret: "GITHUB_WEBHOOK_SECRET" }, accept: ["json"] },
        app: { rate_limit: null },
      }),
    },
  });
  const rows = [];
  try {
    const plan = [
      {
        name: "ceiling (minimal Hono route)",
        worker: ceiling,
        opts: () => ({ requests: [{ method: "POST", path: "/", headers: { "content-type": "application/json" }, body: payload }] }),
      },
      {
        name: "docs-style per-request send",
        worker: perRequest,
        opts: () => ({
          requests: [{ method: "POST", path: "/", headers: { authorization: "Bearer bench-token", "content-type": "application/json" }, body: payload }],
        }),
      },
      {
        name: "ingest github, buffered",
        worker: gateway,
        opts: () => ({ requests: [githubRequest("/ingest/github")], pushes: bufferPushes(gateway, "webhooks") }),
      },
      { name: "ingest github, direct", worker: gateway, opts: () => ({ requests: [githubRequest("/ingest/github-direct")] }) },
      {
        name: "app batch, 50 events/request",
        worker: gateway,
        opts: () => ({
          requests: [{ method: "POST", path: "/ingest/app", headers: { ...AUTH, "content-type": "application/json" }, body: events }],
          messagesPerRequest: 50,
          pushes: bufferPushes(gateway, "events"),
        }),
      },
      { name: "consume: pull 100 + ack 100", worker: gateway, consume: true },
    ];
    for (const row of plan) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        if (row.consume) {
          await prefill(gateway, SMOKE ? 20_000 : 150_000);
          const { result, samples } = await withRss(gateway.pid, () => consumeRun(gateway, SMOKE ? 2 : Math.min(SECONDS, 5)));
          runs.push({ ...result, peak_rss_mib: Math.max(0, ...samples.map((s) => s.kib)) / 1024 });
        } else {
          runs.push(await measure(row.worker, row.opts()));
        }
        await sleep(500);
      }
      rows.push({ name: row.name, runs, median: summarize(runs) });
      console.error(`done: ${row.name}`);
    }

    const ceilingRps = rows[0].median.rps;
    const buffered = rows[2].median;
    const half = Math.max(1, Math.round(buffered.rps / 2));
    const halfLoad = {
      rate_rps: half,
      ceiling: await measure(ceiling, { requests: [{ method: "POST", path: "/", body: payload }], overallRate: half }),
      buffered: await measure(gateway, { requests: [githubRequest("/ingest/github")], overallRate: half, pushes: bufferPushes(gateway, "webhooks") }),
    };

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
        () => load({ url: gateway.base, duration: MEMORY_WARMUP_SECONDS + MEMORY_SECONDS, requests: [githubRequest("/ingest/github")] }),
        1000,
      );
      draining = false;
      await drainer;
      const start = samples[0]?.t ?? 0;
      const at = (from, to) => samples.filter((s) => s.t - start >= from * 1000 && s.t - start < to * 1000).map((s) => s.kib / 1024);
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

    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      settings: { seconds: SECONDS, runs: RUNS, connections: 32, smoke: SMOKE },
      rows: rows.map((r) => ({ name: r.name, ...r.median, ratio_to_ceiling: r.median.rps / ceilingRps, runs: r.runs })),
      half_load: halfLoad,
      memory,
      targets: {
        buffered_rps_ratio: buffered.rps / ceilingRps,
        buffered_messages_per_push: buffered.messages_per_push,
        half_load_p99_gap_ms: halfLoad.buffered.p99 - halfLoad.ceiling.p99,
        memory_growth_mib: memory ? memory.last_10s_mib - memory.first_10s_mib : null,
      },
    };

    const header = ["row", "req/s", "msg/s", "p50 ms", "p99 ms", "push/1k msg", "msg/push", "peak RSS MiB", "× ceiling"];
    const lines = report.rows.map((r) => [
      r.name,
      fmt(r.rps),
      fmt(r.mps),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.pushes_per_1000, 1),
      fmt(r.messages_per_push, 1),
      fmt(r.peak_rss_mib),
      fmt(r.ratio_to_ceiling, 2),
    ]);
    const table = [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
    console.log(table);
    console.log(
      `\nhalf of buffered saturation (${half} req/s): ceiling p99 ${fmt(halfLoad.ceiling.p99, 1)} ms, buffered ingest p99 ${fmt(halfLoad.buffered.p99, 1)} ms`,
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
      if (!(rows[2].median.rps > 0)) problems.push("buffered ingest accepted nothing");
      if (!(buffered.messages_per_push >= 20)) problems.push(`batches did not fill (${fmt(buffered.messages_per_push, 1)} messages per push)`);
      if (rows.some((r) => r.median.non2xx > 0 && r.name !== "ceiling (minimal Hono route)")) problems.push("non-2xx answers under load");
      if (problems.length) {
        console.error(`smoke failed: ${problems.join("; ")}`);
        process.exitCode = 1;
      }
    }
  } finally {
    for (const w of [ceiling, perRequest, gateway]) w.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
