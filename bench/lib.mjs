// Harness pieces for bench/run.mjs: starting Workers under `wrangler dev` (one flag set for all),
// sampling the runtime's memory, and driving load with autocannon.
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import autocannon from "autocannon";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP port on 127.0.0.1 that the OS says is free now: bind port 0, read it, close. For servers
 * that cannot be handed a listening socket (workerd under wrangler), so that runs never collide on
 * a fixed port with each other or with whatever else the machine runs.
 */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a Worker (bench/serve.mjs: wrangler's bundle in workerd); every row uses the same harness.
 * `state`: a directory to persist Durable Objects in, to restart a Worker on the same state.
 * `stop()` shuts it down; `kill()` kills its processes at once, as a crash would.
 * `tracing: false` turns wrangler's local tracing off (X_LOCAL_OBSERVABILITY), which production
 * does not have and which costs ~1 ms per request, more with every SQL statement.
 * `assets: false` serves it without its static assets, whose local router Worker runs in front of
 * every request (~0.2 ms of CPU each here; see bench/serve.mjs).
 */
export async function startWorker({ config, port, vars = {}, state, tracing = true, assets = true }) {
  const args = [
    "bench/serve.mjs",
    config,
    String(port),
    JSON.stringify(vars),
    state ?? "",
    ...(assets ? [] : ["--no-assets"]),
  ];
  const env = tracing ? process.env : { ...process.env, X_LOCAL_OBSERVABILITY: "false" };
  const child = spawn("node", args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env });
  let output = "";
  const collect = (d) => {
    output = (output + d).slice(-4000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (output.includes("ready")) {
      try {
        await fetch(base, { method: "GET" });
        return { base, pid: child.pid, stop: () => stop(child), kill: () => stop(child, "SIGKILL") };
      } catch {}
    }
    if (child.exitCode !== null) break;
    await sleep(500);
  }
  stop(child);
  throw new Error(`worker ${config} did not start:\n${output}`);
}

function stop(child, signal = "SIGTERM") {
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/**
 * The processes of a process group, read from /proc asynchronously so sampling never blocks the
 * load generator running in this process: pid, command name and the fields of /proc/<pid>/stat
 * after the name (fields[2] is the group, fields[11] and [12] user and system CPU ticks).
 */
async function* groupProcesses(pgid) {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = await readFile(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    yield { pid: entry, comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), fields };
  }
}

/** Resident memory (KiB) of the workerd processes in a worker's process group. */
export async function runtimeRssKiB(pgid) {
  let total = 0;
  for await (const { pid, comm } of groupProcesses(pgid)) {
    if (comm !== "workerd") continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {}
  }
  return total;
}

/**
 * CPU time (ms, user + system) spent so far by every process in a worker's process group:
 * workerd's threads and wrangler's server. Per request, it says what a row costs whatever the
 * machine's other load, which throughput on a small shared machine does not.
 */
export async function groupCpuMs(pgid) {
  let ticks = 0;
  for await (const { fields } of groupProcesses(pgid)) ticks += Number(fields[11]) + Number(fields[12]);
  return ticks * CLOCK_TICK_MS;
}
/** Linux's USER_HZ is 100 on every architecture Node runs on. */
const CLOCK_TICK_MS = 10;

/** Samples RSS every intervalMs while `work` runs; returns its result and the samples. */
export async function withRss(pgid, work, intervalMs = 500) {
  const samples = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      samples.push({ t: Date.now(), kib: await runtimeRssKiB(pgid) });
      await sleep(intervalMs);
    }
  })();
  try {
    return { result: await work(), samples };
  } finally {
    running = false;
    await sampler;
  }
}

export function load(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: 32, pipelining: 1, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/**
 * Load at a steady rate: request i is due at start + i / rate, sent on one of `connections`
 * kept-alive sockets (queued when all are busy), and its latency counts from when it was due, so
 * a slow answer delays nothing unseen (no coordinated omission). autocannon's own rate limit
 * sends each connection's share for the second at once and then waits for the next second,
 * which makes "half of saturation" saturation for half of each second. Returns the fields of
 * autocannon's result that the benchmark reads.
 */
export async function pacedLoad({ url, rate, duration, requests: [spec], connections = 32 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(url);
  const latencies = [];
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  const sent = [];
  const start = performance.now();
  const total = Math.round(rate * duration);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    const req = spec.setupRequest ? spec.setupRequest({ ...spec }) : spec;
    sent.push(
      send(agent, { hostname, port, ...req }).then(
        (status) => {
          latencies.push(performance.now() - due);
          if (status >= 200 && status < 300) counts.ok++;
          else counts.non2xx++;
        },
        () => counts.errors++,
      ),
    );
  }
  await Promise.all(sent);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    "2xx": counts.ok,
    non2xx: counts.non2xx,
    errors: counts.errors,
    timeouts: 0,
    latency: { p50: at(0.5), p90: at(0.9), p99: at(0.99) },
  };
}

function send(agent, { hostname, port, method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const length = { "content-length": String(Buffer.byteLength(body ?? "")) };
    const req = request({ agent, hostname, port, method, path, headers: { ...headers, ...length } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
