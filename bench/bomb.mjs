// `npm run bench:bomb`: what a compression bomb costs the runtime. Posts a gzip of 900 MB of
// zeros (under 1 MB compressed, so under the body cap) to the `app` source, which declares gzip,
// and reads the peak resident memory of workerd before and after (VmHWM, reset through
// /proc/<pid>/clear_refs). A control request of the same size that fails at once (not gzip)
// measures what receiving the body costs in the same run; the bomb may add at most 2x the
// source's 1 MB cap to that. Inflating the bomb whole would cost ~900 MB.

import { readdir, readFile, writeFile } from "node:fs/promises";
import { createGzip } from "node:zlib";
import { startWorker } from "./lib.mjs";

const INFLATED_MB = Number(process.env.BOMB_MB ?? 900);
const CAP_BYTES = 1_000_000; // the app source's max_body_bytes
const ALLOWED_EXTRA_BYTES = 2 * CAP_BYTES;
const PORT = Number(process.env.BOMB_PORT ?? 8911);

async function gzipZeros(megabytes) {
  const gzip = createGzip({ level: 9 });
  const chunks = [];
  gzip.on("data", (c) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on("end", resolve));
  const zeros = Buffer.alloc(1_000_000);
  for (let i = 0; i < megabytes; i++) if (!gzip.write(zeros)) await new Promise((r) => gzip.once("drain", r));
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

async function workerdPids(pgid) {
  const pids = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (comm === "workerd" && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) pids.push(entry);
    } catch {}
  }
  return pids;
}

const status = async (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

const bomb = await gzipZeros(INFLATED_MB);
const worker = await startWorker({ config: "wrangler.toml", port: PORT });
try {
  const post = (body, encoding) =>
    fetch(`${worker.base}/ingest/app`, {
      method: "POST",
      headers: {
        authorization: "Bearer local-dev-key",
        "content-type": "application/json",
        ...(encoding && { "content-encoding": encoding }),
      },
      body,
    });
  for (let i = 0; i < 20; i++) await (await post(`{"event":"warm-up-${i}"}`)).text();
  const pids = await workerdPids(worker.pid);
  /** Peak RSS rise of workerd while `send` runs. */
  async function peakRise(send) {
    for (const pid of pids) await writeFile(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
    const before = (await Promise.all(pids.map((pid) => status(pid, "VmHWM")))).reduce((a, b) => a + b, 0);
    const started = performance.now();
    const res = await send();
    const answer = await res.json();
    const ms = performance.now() - started;
    const after = (await Promise.all(pids.map((pid) => status(pid, "VmHWM")))).reduce((a, b) => a + b, 0);
    return { status: res.status, message: answer.errors?.[0]?.message, ms, rise: after - before };
  }
  const notGzip = Buffer.alloc(bomb.byteLength, 0x41); // fails at the first byte: the cost of receiving the body
  await peakRise(() => post(notGzip, "gzip")); // warms the large-body path once, unmeasured
  const control = await peakRise(() => post(notGzip, "gzip"));
  const attack = await peakRise(() => post(bomb, "gzip"));
  const extra = attack.rise - control.rise;
  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(
    `bomb: ${mb(bomb.byteLength)} MB gzip of ${INFLATED_MB} MB -> ${attack.status} (${attack.message}) in ${attack.ms.toFixed(0)} ms; ` +
      `workerd peak RSS rise ${mb(attack.rise)} MB vs ${mb(control.rise)} MB for a same-size body refused at once (${control.status}): ` +
      `inflation added ${mb(extra)} MB = ${(extra / CAP_BYTES).toFixed(2)}x the ${mb(CAP_BYTES)} MB cap (allowed 2x)`,
  );
  if (attack.status !== 413 || extra > ALLOWED_EXTRA_BYTES) {
    console.error("bomb: FAILED");
    process.exitCode = 1;
  }
} finally {
  worker.stop();
}
