// /docs without a CDN: headless Chromium opens the API reference with every host but 127.0.0.1
// cut off (as offline, or behind a strict proxy) and finds the gateway's operations listed; the
// page loads only same-origin files and breaks none of its CSP.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, startWorker } from "../../bench/lib.mjs";
import { launchChromium } from "./harness.mjs";

const OUTPUT = process.env.TEST_OUTPUT_DIR ?? "test-results";
/** Scalar renders a few MB of script: generous for a cold 2-core machine. */
const RENDERED_WITHIN_MS = 30_000;

let gateway;
let browser;

before(async () => {
  gateway = await startWorker({ config: "wrangler.toml", port: await freePort() });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  gateway?.stop();
});

test("the reference renders the gateway's operations with every other host unreachable", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const elsewhere = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    elsewhere.push(url.href);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  const violations = [];
  const loaded = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on("requestfinished", (request) => loaded.push(new URL(request.url()).pathname));
  const response = await page.goto(`${gateway.base}/docs`);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  await page.getByText("Liveness").first().waitFor({ timeout: RENDERED_WITHIN_MS });
  // Each tag's operations, once its group is opened in the sidebar.
  for (const [tag, operation] of [
    ["Queues", "Peek messages without leasing them"],
    ["Admin", "Recent refused ingest requests of the key's sources"],
  ]) {
    await page
      .getByRole("button", { name: `Open Group - ${tag}` })
      .first()
      .click();
    await page.getByText(operation).first().waitFor({ timeout: RENDERED_WITHIN_MS });
  }
  assert.deepEqual(elsewhere, [], "nothing was asked of another host");
  assert.deepEqual(violations, []);
  assert.deepEqual([...new Set(loaded)].sort(), ["/docs", "/docs/scalar.js", "/openapi.json"]);
  // The package's other files are not served: the Worker runs first and hands out the bundle only.
  for (const path of ["/standalone.js", "/standalone.js.map", "/chunks/", "/docs/scalar.js.map"]) {
    assert.equal((await fetch(`${gateway.base}${path}`)).status, 404, path);
  }
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, "docs.png") });
  await context.close();
});
