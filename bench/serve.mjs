// Serves one Worker for the benchmark with wrangler's own dev server (unstable_startWorker),
// the same way for every row: bundled by wrangler, run in workerd, without the devtools
// inspector (which otherwise receives every console line, a cost production does not have).
// Usage: node bench/serve.mjs <wrangler.toml> <port> [JSON vars] [state directory] [--no-assets]
// State goes to a fresh temporary directory unless one is given (to restart on the same state).
// --no-assets serves the Worker without its `[assets]` table: locally, static assets put a router
// Worker in front of every request (run_worker_first), ~0.2 ms of CPU each on this runtime, which
// production does not bill as the Worker's and which the ceiling does not have. The derived
// configuration sits beside the original (its relative paths must hold) and is removed on exit.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { unstable_startWorker } from "wrangler";

const args = process.argv.slice(2).filter((a) => a !== "--no-assets");
const [originalConfig, port, varsJson = "{}", stateDir = ""] = args;
let configPath = originalConfig;
if (process.argv.includes("--no-assets")) {
  configPath = join(dirname(resolve(originalConfig)), `.bench-${port}.wrangler.toml`);
  // The `[assets]` table runs from its header to the next table's.
  const toml = readFileSync(originalConfig, "utf8").replace(/^\[assets\]\n(?:(?!\[).*\n)*/m, "");
  writeFileSync(configPath, toml);
  process.on("exit", () => rmSync(configPath, { force: true }));
}
// The development secrets come from the committed example, so a fresh clone needs no .dev.vars.
const devVarsFile = join(dirname(resolve(configPath)), ".dev.vars.example");
const devVars = existsSync(devVarsFile) ? parseEnv(readFileSync(devVarsFile, "utf8")) : {};
const vars = Object.fromEntries(
  Object.entries({ ...devVars, ...JSON.parse(varsJson) }).map(([name, value]) => [name, { type: "plain_text", value }]),
);

const worker = await unstable_startWorker({
  config: resolve(configPath),
  bindings: vars,
  dev: {
    inspector: false,
    server: { hostname: "127.0.0.1", port: Number(port) },
    persist: stateDir || mkdtempSync(join(tmpdir(), "tributary-state-")),
    logLevel: "error",
    watch: false,
  },
});
await worker.ready;
console.log("ready");
process.on("SIGTERM", async () => {
  await worker.dispose();
  process.exit(0);
});
