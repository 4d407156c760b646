// Forms in a real browser: headless Chromium (Debian's package, driven by playwright-core) loads
// a static page from another origin and (a) submits a classic <form method="post"> to
// /ingest/contact and lands on the thank-you page, (b) posts with fetch() and CORS, (c) fills the
// honeypot. Then the `forms` queue is read back with the official SDK.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import Cloudflare from "cloudflare";
import { freePort, startWorker } from "../../bench/lib.mjs";
import { drainJson, launchChromium } from "./harness.mjs";

let gateway;
let site;
let siteBase;
let browser;
let client;

/** The page a site owner publishes: the README's form snippet plus a fetch() variant. */
function page(gatewayBase) {
  return `<!doctype html><html><body>
<form id="classic" method="post" action="${gatewayBase}/ingest/contact">
  <input name="name" value="Ada"> <input name="email" type="email" value="ada@example.com">
  <textarea name="message">Hello from a form</textarea>
  <input name="_gotcha" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px" aria-hidden="true">
  <button id="send">Send</button>
</form>
<script>
  async function sendWithFetch() {
    const res = await fetch(${JSON.stringify(`${gatewayBase}/ingest/contact`)}, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Grace", message: "Hello from fetch" }),
    });
    return { status: res.status, body: await res.json() };
  }
</script></body></html>`;
}

before(async () => {
  gateway = await startWorker({
    config: "wrangler.toml",
    port: await freePort(),
    vars: { QUEUES: JSON.stringify({ forms: { mode: "direct" } }) },
  });
  client = new Cloudflare({ apiToken: "local-dev-key", baseURL: `${gateway.base}/client/v4`, maxRetries: 0 });
  site = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page(gateway.base));
  });
  // Port 0: the OS picks a free one, read back once listening.
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteBase = `http://127.0.0.1:${site.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  site?.close();
  gateway?.stop();
});

test("a classic form post lands on the thank-you page and reaches the forms queue", async () => {
  const tab = await browser.newPage();
  await tab.goto(`${siteBase}/`);
  await Promise.all([tab.waitForURL(`${gateway.base}/thanks`), tab.click("#send")]);
  assert.match(await tab.textContent("h1"), /Thank you/);
  const [message, ...rest] = await drainJson(client, "forms");
  assert.equal(rest.length, 0);
  assert.deepEqual(message.data, { name: "Ada", email: "ada@example.com", message: "Hello from a form" });
  assert.equal(message.headers.origin, siteBase);
  await tab.close();
});

test("fetch() from the other origin passes CORS and gets JSON", async () => {
  const tab = await browser.newPage();
  await tab.goto(`${siteBase}/`);
  const answer = await tab.evaluate(() => globalThis.sendWithFetch());
  assert.equal(answer.status, 202);
  assert.equal(answer.body.success, true);
  assert.deepEqual(
    (await drainJson(client, "forms")).map((m) => m.data),
    [{ name: "Grace", message: "Hello from fetch" }],
  );
  await tab.close();
});

test("a filled honeypot looks like success and enqueues nothing", async () => {
  const tab = await browser.newPage();
  await tab.goto(`${siteBase}/`);
  await tab.evaluate(() => {
    document.querySelector("input[name=_gotcha]").value = "http://spam.example";
  });
  await Promise.all([tab.waitForURL(`${gateway.base}/thanks`), tab.click("#send")]);
  assert.match(await tab.textContent("h1"), /Thank you/);
  assert.deepEqual(await drainJson(client, "forms"), []);
  await tab.close();
});
