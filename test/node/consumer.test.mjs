// Runs examples/consumer.ts (a separate Node program, as users run it) against the Worker served
// in workerd, and checks what it processed, retried and left in the queue.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import Cloudflare from "cloudflare";
import { freePort, sleep, startWorker } from "../../bench/lib.mjs";

let gateway;
let client;

before(async () => {
  gateway = await startWorker({
    config: "wrangler.toml",
    port: await freePort(),
    vars: { QUEUES: JSON.stringify({ webhooks: { mode: "direct" } }) },
  });
  client = new Cloudflare({ apiToken: "local-dev-key", baseURL: `${gateway.base}/client/v4`, maxRetries: 0 });
});

after(() => gateway?.stop());

test("the consumer example processes, retries a failure, and stops cleanly on SIGTERM", async () => {
  const account = { account_id: "local" };
  await client.queues.messages.bulkPush("webhooks", {
    ...account,
    messages: [
      { body: { n: 1 } },
      { body: { n: 2, data: { fail_once: true } } },
      { body: "three", content_type: "text" },
    ],
  });

  const consumer = spawn("node", ["--experimental-strip-types", "--no-warnings", "examples/consumer.ts"], {
    env: { ...process.env, GATEWAY_URL: gateway.base, QUEUE: "webhooks", RETRY_DELAY_SECONDS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let stderr = "";
  consumer.stdout.on("data", (d) =>
    lines.push(
      ...String(d)
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ),
  );
  consumer.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => consumer.on("exit", (code) => resolve(code)));

  for (let i = 0; i < 100 && lines.filter((l) => l.processed).length < 3; i++) await sleep(100);
  const processed = lines.filter((l) => l.processed);
  assert.equal(processed.length, 3, `consumer output: ${JSON.stringify(lines)} ${stderr}`);
  assert.deepEqual(
    processed.map((l) => l.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [{ n: 1 }, { n: 2, data: { fail_once: true } }, "three"].sort((a, b) =>
      JSON.stringify(a).localeCompare(JSON.stringify(b)),
    ),
  );
  assert.equal(processed.find((l) => l.body?.n === 2).attempts, 2, "the failed message is processed on its retry");
  assert.match(stderr, /failed \(simulated failure\); retrying in 1s/);

  consumer.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.deepEqual(lines.at(-1), { stopped: true });
  const left = await client.queues.messages.pull("webhooks", { ...account, batch_size: 10 });
  assert.equal(left.message_backlog_count, 0, "everything leased was acked");
});
