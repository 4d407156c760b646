// Runs examples/quickstart.mjs as a user pastes it, against the Worker served in workerd with the
// development configuration unchanged (`webhooks` buffered), and checks what it prints.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import Cloudflare from "cloudflare";
import { freePort, sleep, startWorker } from "../../bench/lib.mjs";

const run = promisify(execFile);
let gateway;

before(async () => {
  gateway = await startWorker({ config: "wrangler.toml", port: await freePort() });
});

after(() => gateway?.stop());

test("the quickstart pushes, pulls back, prints and acks its message, and leaves others in the queue", async () => {
  const client = new Cloudflare({ apiToken: "local-dev-key", baseURL: `${gateway.base}/client/v4`, maxRetries: 0 });
  const account = { account_id: "local" };
  // Someone else's message, already waiting: the quickstart must hand it back, not ack it.
  await client.queues.messages.push("webhooks", { ...account, body: "not the quickstart's", content_type: "text" });

  const { stdout, stderr } = await run("node", ["examples/quickstart.mjs"], {
    env: { ...process.env, GATEWAY_URL: gateway.base },
    timeout: 30_000,
  });
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 3, `stdout: ${stdout}\nstderr: ${stderr}`);
  assert.match(lines[0], /^pushed to webhooks: \{"hello":"from the quickstart","marker":"[0-9a-f-]{36}"/);
  const marker = /"marker":"([0-9a-f-]{36})"/.exec(lines[0])[1];
  assert.match(lines[1], /^pulled after \d+\.\d s: id \S+, attempt 1, body \{"hello":"from the quickstart"/);
  assert.ok(lines[1].includes(marker), "it pulled the message it pushed");
  assert.equal(lines[2], "acked 1 message: done.");
  assert.equal(stderr, "");

  // The other message may still sit in another buffer shard: wait for it as the quickstart does.
  let left = [];
  for (const deadline = Date.now() + 10_000; left.length === 0 && Date.now() < deadline; await sleep(200)) {
    ({ messages: left = [] } = await client.queues.messages.pull("webhooks", { ...account, batch_size: 100 }));
  }
  assert.deepEqual(
    left.map((m) => m.body),
    ["not the quickstart's"],
    "the quickstart's message is gone, the other one is back",
  );
});
