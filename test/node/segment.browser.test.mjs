// Segment's browser library, @segment/analytics-next, in headless Chromium (Debian's package,
// driven by playwright-core): a page on one origin loads the library's UMD bundle from the npm
// package (served locally, with its lazily loaded chunks: no CDN, and the test fails on any
// request that leaves 127.0.0.1), points it at the gateway on another origin, and sends page and
// track calls, one request per event (analytics.js's default: text/plain bodies, the write key
// in a Basic header and in the body, a CORS preflight) and batched (/v1/b). They must arrive in
// `events`, each once, with its messageId.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Cloudflare from "cloudflare";
import { freePort, startWorker } from "../../bench/lib.mjs";
import { drainJson, launchChromium } from "./harness.mjs";

const WRITE_KEY = "local-dev-write-key";
const BUNDLES = "node_modules/@segment/analytics-next/dist/umd";

let gateway;
let site;
let siteBase;
let browser;
let client;

/** The page a site owner publishes: the library, pointed at the gateway (cdnSettings given, so no settings fetch). */
function page() {
  const apiHost = `${new URL(gateway.base).host}/v1`;
  const settings = { integrations: { "Segment.io": { apiKey: WRITE_KEY, apiHost, protocol: "http" } } };
  return `<!doctype html><html><head><title>Shop</title>
<script>window.analytics = { _cdn: ${JSON.stringify(siteBase)} }; // where the bundle loads its chunks from</script>
<script src="/analytics-next/bundles/index.js"></script>
</head><body><h1>Shop</h1>
<script>
  delete window.analytics;
  const load = (deliveryStrategy) =>
    AnalyticsNext.AnalyticsBrowser.load(
      { writeKey: ${JSON.stringify(WRITE_KEY)}, cdnURL: ${JSON.stringify(siteBase)}, cdnSettings: ${JSON.stringify(settings)} },
      { disableClientPersistence: true, integrations: { "Segment.io": { deliveryStrategy } } },
    );
  async function sendOneByOne() {
    const analytics = load(undefined);
    const page = await analytics.page("Catalog", { path: "/catalog" });
    const track = await analytics.track("Clicked Buy", { sku: "A-1", price: 12.5 });
    return [page, track].map((ctx) => ({ messageId: ctx.event.messageId, failed: ctx.failedDelivery()?.reason?.message ?? null }));
  }
  async function sendBatched() {
    const analytics = load({ strategy: "batching", config: { size: 2, timeout: 200 } });
    const sent = await Promise.all([analytics.page("Checkout"), analytics.track("Paid", { total: 30 })]);
    return sent.map((ctx) => ({ messageId: ctx.event.messageId, failed: ctx.failedDelivery()?.reason?.message ?? null }));
  }
</script></body></html>`;
}

before(async () => {
  const [gatewayPort, sitePort] = [await freePort(), await freePort()];
  gateway = await startWorker({
    config: "wrangler.toml",
    port: gatewayPort,
    vars: { QUEUES: JSON.stringify({ events: { mode: "direct" } }) },
  });
  client = new Cloudflare({ apiToken: "local-dev-key", baseURL: `${gateway.base}/client/v4`, maxRetries: 0 });
  siteBase = `http://127.0.0.1:${sitePort}`;
  site = createServer((req, res) => {
    const bundle = /^\/analytics-next\/bundles\/([\w.-]+\.js)$/.exec(req.url ?? "")?.[1];
    if (bundle && existsSync(join(BUNDLES, bundle))) {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(readFileSync(join(BUNDLES, bundle)));
      return;
    }
    if (req.url !== "/") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page());
  }).listen(sitePort, "127.0.0.1");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  site?.close();
  gateway?.stop();
});

/** A tab that records every request it makes, and refuses those that would leave this machine. */
async function tab() {
  const context = await browser.newContext();
  const requests = [];
  const offsite = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    requests.push({
      method: route.request().method(),
      url: url.href,
      contentType: route.request().headers()["content-type"],
    });
    if (url.hostname !== "127.0.0.1") {
      offsite.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  await page.goto(`${siteBase}/`);
  return { page, requests, offsite, close: () => context.close() };
}

test("page and track, one request per event (text/plain, CORS), arrive in `events`", async () => {
  const { page, requests, offsite, close } = await tab();
  const sent = await page.evaluate(() => globalThis.sendOneByOne());
  await close();
  assert.deepEqual(
    sent.map((s) => s.failed),
    [null, null],
  );
  assert.deepEqual(offsite, [], "no request left 127.0.0.1 (no CDN)");
  const posts = requests.filter((r) => r.url.startsWith(gateway.base) && r.method === "POST");
  assert.deepEqual(
    posts.map((r) => [new URL(r.url).pathname, r.contentType]),
    [
      ["/v1/p", "text/plain"],
      ["/v1/t", "text/plain"],
    ],
  );

  const messages = await drainJson(client, "events");
  assert.deepEqual(
    messages.map((m) => [m.type, m.event, m.delivery_id, m.source]),
    [
      ["page", "page", sent[0].messageId, "segment"],
      ["track", "Clicked Buy", sent[1].messageId, "segment"],
    ],
  );
  assert.equal(messages[0].data.name, "Catalog");
  assert.deepEqual(messages[1].data.properties, { sku: "A-1", price: 12.5 });
  assert.equal(messages[1].data.writeKey, WRITE_KEY, "analytics.js puts the (public) write key in the body");
  assert.match(messages[1].headers["user-agent"], /Chrome/);
});

test("batched delivery (/v1/b) arrives too", async () => {
  const { page, requests, offsite, close } = await tab();
  const sent = await page.evaluate(() => globalThis.sendBatched());
  await close();
  assert.deepEqual(
    sent.map((s) => s.failed),
    [null, null],
  );
  assert.deepEqual(offsite, []);
  assert.ok(requests.some((r) => r.url === `${gateway.base}/v1/b` && r.method === "POST"));
  const messages = await drainJson(client, "events");
  assert.deepEqual(messages.map((m) => m.delivery_id).sort(), sent.map((s) => s.messageId).sort());
  assert.deepEqual(messages.map((m) => m.event).sort(), ["Paid", "page"]);
});
