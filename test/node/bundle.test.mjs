// The Worker as wrangler bundles it (README, "Bundle size"): the production upload stays within
// its budget, zod's locales stay out, and the bundle that replaces two zod modules (wrangler.toml,
// [alias]) still serves the OpenAPI document and the reference, which are what use them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { freePort, startWorker } from "../../bench/lib.mjs";

/**
 * Upper bound of the production upload (KiB, uncompressed, as `wrangler deploy` counts it). It
 * catches the big regressions: zod's locales back (+~390 KiB) or an unminified bundle (+~450 KiB).
 * 400 KiB: every module imports zod as a namespace (`import * as z`), which lets the bundler keep
 * only what is used; Biome refuses `import { z } from "zod"`, which would keep all of it.
 */
const UPLOAD_BUDGET_KIB = 400;
/** A string only zod's German locale has: present when the locales are bundled. */
const LOCALE_MARKER = "E-Mail-Adresse";

const run = promisify(execFile);
const outdir = mkdtempSync(join(tmpdir(), "tributary-bundle-"));
let gateway;

before(async () => {
  gateway = await startWorker({ config: "wrangler.toml", port: await freePort() });
});

after(() => {
  gateway?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

test("the production upload is within its budget and without zod's locales", async () => {
  await run("npx", ["wrangler", "deploy", "--dry-run", "--env", "production", "--outdir", outdir], {
    env: { ...process.env, WRANGLER_LOG: "error" },
  });
  // What is uploaded: the bundle and its text modules (the console's files), not the source map.
  const uploaded = readdirSync(outdir).filter((name) => name.endsWith(".js") || name.endsWith(".css"));
  const kib = uploaded.reduce((sum, name) => sum + statSync(join(outdir, name)).size, 0) / 1024;
  assert.ok(
    kib < UPLOAD_BUDGET_KIB,
    `production upload is ${kib.toFixed(1)} KiB, over the ${UPLOAD_BUDGET_KIB} KiB budget (${uploaded.join(", ")})`,
  );
  const bundle = readFileSync(join(outdir, "index.js"), "utf8");
  assert.ok(
    !bundle.includes(LOCALE_MARKER),
    "zod's locales are in the bundle: is wrangler.toml's [alias] still matching?",
  );
});

test("wrangler's bundle serves a valid OpenAPI document and the reference", async () => {
  const res = await fetch(`${gateway.base}/openapi.json`);
  assert.equal(res.status, 200);
  const document = await res.json();
  assert.equal(document.openapi, "3.1.0");
  const pull = document.paths["/client/v4/accounts/{account_id}/queues/{queue_id}/messages/pull"]?.post;
  assert.match(JSON.stringify(pull?.requestBody), /visibility_timeout_ms/, "request schemas are rendered from zod");
  const docs = await fetch(`${gateway.base}/docs`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /openapi\.json/);
});
