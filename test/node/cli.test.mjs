// Runs the command-line companion (bin/tributary.mjs) as people run it, one process per command,
// against the Worker served in workerd: signed sends for every preset and their refusals, tail,
// pull and push, what a hostile message can do to a terminal, and dead letters.
//
// Dead letters come from the buffer: a message the upstream refuses permanently (a 4xx). The
// local queue refuses nothing, so the `relay` queue here is a buffered queue whose upstream is
// Cloudflare's REST API, served by a small stand-in in this process that answers 10204 (message
// too large) to anything containing POISON until it is told to take it. Against `npm run dev`,
// the same QUEUES, QUEUES_API_BASE_URL, QUEUES_ACCOUNT_ID and QUEUES_API_TOKEN vars do it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { parseEnv } from "node:util";
import { sleep, startWorker } from "../../bench/lib.mjs";

const RELAY_QUEUE_ID = "e".repeat(32);
const PULL_ONLY_KEY = "cli-test-pull-only-key";
const HOSTILE = "\u001b]0;pwned\u0007 over\rwritten \u202eesrever \u009b2J";
/** How long to wait for a message to show up, polling. */
const WAIT_MS = 10_000;

let gateway;
let upstream;

/** A port the OS says is free now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Cloudflare's batch push, as far as the relay queue needs it. */
async function startUpstream() {
  const state = { refusing: true, received: [] };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const answer = (status, envelope) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(envelope));
      if (req.method !== "POST" || !req.url.endsWith(`/queues/${RELAY_QUEUE_ID}/messages/batch`))
        return answer(404, { success: false, errors: [{ code: 7003, message: "No route" }] });
      const { messages } = JSON.parse(body);
      if (state.refusing && messages.some((m) => JSON.stringify(m.body).includes("POISON"))) {
        return answer(413, {
          success: false,
          errors: [{ code: 10204, message: "message too large" }],
          messages: [],
          result: null,
        });
      }
      state.received.push(...messages.map((m) => m.body));
      answer(200, {
        success: true,
        errors: [],
        messages: [],
        result: { metadata: { metrics: { backlog_count: 0, backlog_bytes: 0, oldest_message_timestamp_ms: 0 } } },
      });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { state, base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

before(async () => {
  upstream = await startUpstream();
  const devVars = parseEnv(readFileSync(".dev.vars.example", "utf8"));
  const sha256 = (text) => createHash("sha256").update(text).digest("hex");
  gateway = await startWorker({
    config: "wrangler.toml",
    port: await freePort(),
    vars: {
      QUEUES: JSON.stringify({
        webhooks: { mode: "direct" },
        relay: { upstream: "cloudflare", cloudflare_id: RELAY_QUEUE_ID, buffer: { shards: 1, max_wait_ms: 100 } },
      }),
      QUEUES_ACCOUNT_ID: "stand-in",
      QUEUES_API_BASE_URL: `${upstream.base}/client/v4`,
      QUEUES_API_TOKEN: "stand-in-token",
      GATEWAY_KEYS: JSON.stringify([
        ...JSON.parse(devVars.GATEWAY_KEYS),
        { name: "pull-only", sha256: sha256(PULL_ONLY_KEY), queues: "*", scopes: ["push", "pull", "ack"] },
      ]),
    },
  });
});

after(() => {
  gateway?.stop();
  upstream?.close();
});

/** Starts `tributary …`; `done` resolves to its exit code and output. */
function start(args, env = {}) {
  const child = spawn(process.execPath, ["bin/tributary.mjs", ...args], {
    // The Worker serves .dev.vars.example's secrets: sign with those, whatever a developer's .dev.vars says.
    env: {
      ...process.env,
      TRIBUTARY_URL: gateway.base,
      TRIBUTARY_DEV_VARS: ".dev.vars.example",
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run = { child, stdout: "", stderr: "" };
  child.stdout.on("data", (d) => {
    run.stdout += d;
  });
  child.stderr.on("data", (d) => {
    run.stderr += d;
  });
  run.done = new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, stdout: run.stdout, stderr: run.stderr })),
  );
  return run;
}

const tributary = (args, env) => start(args, env).done;

async function until(check, what) {
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await sleep(100)) {
    const value = await check();
    if (value) return value;
  }
  assert.fail(`timed out waiting for ${what}`);
}

const jsonLines = (text) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** Everything in a queue now, consumed. */
async function drain(queue) {
  const { code, stdout, stderr } = await tributary(["pull", queue, "--ack", "--batch-size", "100", "--json"]);
  assert.equal(code, 0, stderr);
  return jsonLines(stdout);
}

describe("send", () => {
  test("every preset's example is signed as its provider signs and accepted", async () => {
    const { stdout } = await tributary(["sources", "--json"]);
    const sources = jsonLines(stdout);
    assert.ok(sources.length >= 30, stdout);
    await drain("webhooks");
    const results = [];
    // A few at a time: each is a Node process.
    for (let i = 0; i < sources.length; i += 4) {
      results.push(
        ...(await Promise.all(
          sources.slice(i, i + 4).map(async ({ name }) => ({ name, ...(await tributary(["send", name])) })),
        )),
      );
    }
    for (const { name, code, stdout, stderr } of results) assert.equal(code, 0, `${name}: ${stdout}${stderr}`);
    const delivered = (await drain("webhooks")).map((m) => m.body.source).sort();
    assert.deepEqual(delivered, sources.map((s) => s.name).sort());
  });

  test("every handshake is answered, and nothing is enqueued", async () => {
    const { stdout } = await tributary(["sources", "--json"]);
    const withHandshake = jsonLines(stdout).filter((s) => s.handshake);
    assert.ok(withHandshake.length >= 9);
    for (const { name } of withHandshake) {
      const run = await tributary(["send", name, "--handshake", "--json"]);
      assert.equal(run.code, 0, `${name}: ${run.stdout}${run.stderr}`);
      assert.ok([200, 204].includes(JSON.parse(run.stdout).status), run.stdout);
    }
    assert.deepEqual(await drain("webhooks"), []);
  });

  test("a wrong secret is refused: exit 1, naming the secret to check", async () => {
    const { code, stdout, stderr } = await tributary(["send", "github", "--secret", "not-the-secret"]);
    assert.equal(code, 1);
    assert.match(stdout, /^401 /m);
    assert.match(stderr, /GITHUB_WEBHOOK_SECRET/);
  });

  test("usage errors exit 2: an unknown source, a source without an example, an unknown option", async () => {
    const unknown = await tributary(["send", "nonexistent"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown source "nonexistent"[\s\S]*github, stripe/);
    assert.equal((await tributary(["send", "app"])).code, 2);
    assert.equal((await tributary(["send", "github", "--colour"])).code, 2);
    assert.equal((await tributary(["nonsense"])).code, 2);
  });

  test("an unreachable gateway exits 3 and asks whether `npm run dev` runs", async () => {
    const { code, stderr } = await tributary(["send", "github", "--url", `http://127.0.0.1:${await freePort()}`]);
    assert.equal(code, 3);
    assert.match(stderr, /connection refused[\s\S]*is `npm run dev` running\?/);
  });
});

describe("tail, pull and push", () => {
  test("tail shows what arrives after it started, escaped for the terminal, and --json lines parse back to the message", async () => {
    await drain("webhooks");
    const human = start(["tail", "webhooks"]);
    const json = start(["tail", "webhooks", "--json"]);
    await sleep(1_500); // both are polling: what follows arrives after they started
    assert.equal((await tributary(["send", "github"])).code, 0);
    const envelope = {
      id: "hostile-1",
      source: HOSTILE,
      received_at: "2026-01-01T00:00:00Z",
      event: HOSTILE,
      delivery_id: null,
    };
    assert.equal((await tributary(["push", "webhooks", "--data", JSON.stringify(envelope)])).code, 0);
    assert.equal((await tributary(["push", "webhooks", "--text", "--data", HOSTILE])).code, 0);
    await until(
      () => json.stdout.split("\n").filter(Boolean).length >= 3 && human.stdout.split("\n").filter(Boolean).length >= 3,
      "tail's lines",
    );
    human.child.kill("SIGTERM");
    json.child.kill("SIGTERM");
    assert.equal((await human.done).code, 0);
    assert.equal((await json.done).code, 0);

    const lines = jsonLines(json.stdout);
    assert.equal(lines.length, 3, json.stdout);
    assert.equal(lines[0].body.source, "github");
    assert.deepEqual(lines[1].body, envelope);
    assert.equal(lines[2].body, HOSTILE);
    for (const output of [human.stdout, json.stdout]) {
      assert.doesNotMatch(
        output,
        // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters is the point.
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u,
        "no raw control or bidi character reaches the terminal",
      );
    }
    assert.match(human.stdout, /github {2}issues {2}delivery /);
    assert.ok(human.stdout.includes("\\x1b]0;pwned\\x07 over\\rwritten \\u202eesrever \\x9b2J"), human.stdout);
    assert.equal(
      human.stdout.split("\n").filter(Boolean).length,
      3,
      "each message once, though every peek shows it again",
    );
  });

  test("push then pull --ack hands back exactly what was pushed, then nothing", async () => {
    await drain("webhooks");
    assert.equal((await tributary(["push", "webhooks", "--data", '{"hello":"world"}'])).code, 0);
    assert.equal((await tributary(["push", "webhooks", "--text", "--data", "plain"])).code, 0);
    const pulled = await drain("webhooks");
    assert.deepEqual(
      pulled.map((m) => [m.content_type, m.body]),
      [
        ["json", { hello: "world" }],
        ["text", "plain"],
      ],
    );
    assert.deepEqual(await drain("webhooks"), []);
  });

  test("a key that may not peek: tail refuses unless told to --lease, and leasing hands messages back", async () => {
    await drain("webhooks");
    const refused = await tributary(["tail", "webhooks"], { TRIBUTARY_KEY: PULL_ONLY_KEY });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /403[\s\S]*--lease/);

    const leasing = start(["tail", "webhooks", "--lease", "--json"], { TRIBUTARY_KEY: PULL_ONLY_KEY });
    await sleep(1_500);
    assert.equal((await tributary(["push", "webhooks", "--data", '{"leased":true}'])).code, 0);
    await until(() => leasing.stdout.includes("leased"), "the leased message");
    leasing.child.kill("SIGTERM");
    assert.equal((await leasing.done).code, 0);
    assert.match(leasing.stderr, /every poll is a delivery attempt/);
    const [back] = await drain("webhooks");
    assert.deepEqual(back?.body, { leased: true }, "handed back, not consumed");
  });
});

describe("dead-letters", () => {
  const letters = async () => {
    const { code, stdout, stderr } = await tributary(["dead-letters", "relay", "--json"]);
    assert.equal(code, 0, stderr);
    return jsonLines(stdout);
  };

  test("a message the upstream refuses is listed, replayed once the upstream takes it, or deleted", async () => {
    upstream.state.refusing = true;
    assert.equal((await tributary(["push", "relay", "--text", "--data", "POISON pill"])).code, 0);
    const [letter] = await until(async () => {
      const listed = await letters();
      return listed.length ? listed : undefined;
    }, "the dead letter");
    assert.equal(letter.body, "POISON pill");
    assert.match(letter.error, /too large/);
    const human = await tributary(["dead-letters", "relay"]);
    assert.match(human.stdout, new RegExp(`^${letter.id} .*POISON pill$`, "m"));

    upstream.state.refusing = false;
    const replay = await tributary(["dead-letters", "relay", "replay", "--ids", letter.id]);
    assert.equal(replay.stdout.trim(), "replayed 1");
    await until(() => upstream.state.received.includes("POISON pill"), "the replayed message upstream");
    assert.deepEqual(await letters(), []);

    upstream.state.refusing = true;
    assert.equal((await tributary(["push", "relay", "--text", "--data", "POISON again"])).code, 0);
    const [again] = await until(async () => {
      const listed = await letters();
      return listed.length ? listed : undefined;
    }, "the second dead letter");
    assert.equal((await tributary(["dead-letters", "relay", "delete"])).code, 2, "deleting needs --ids or --all");
    assert.equal((await tributary(["dead-letters", "relay", "delete", "--ids", again.id])).stdout.trim(), "deleted 1");
    assert.deepEqual(await letters(), []);
  });
});
