/**
 * A first round trip through Tributary with the official `cloudflare` SDK: push one message to
 * the `webhooks` queue, pull it back, print it, ack it. Start the gateway (`npm run dev`), then:
 *
 *   node examples/quickstart.mjs
 *
 * GATEWAY_URL (default http://127.0.0.1:8787) and GATEWAY_KEY (default local-dev-key, the
 * development key) point it elsewhere. In development `webhooks` is buffered: the gateway accepts
 * the push at once and delivers it to the queue within about a second, so the script polls until
 * its message shows up (or gives up after PULL_DEADLINE_MS). Messages already in the queue are
 * handed back untouched.
 */
import { randomUUID } from "node:crypto";
import Cloudflare from "cloudflare";

const GATEWAY_URL = process.env.GATEWAY_URL ?? "http://127.0.0.1:8787";
const QUEUE = "webhooks";
const ACCOUNT_ID = "local"; // The gateway ignores the account; the SDK wants one.
const PULL_DEADLINE_MS = 10_000;
const POLL_INTERVAL_MS = 200;
const VISIBILITY_TIMEOUT_MS = 30_000;

const client = new Cloudflare({
  apiToken: process.env.GATEWAY_KEY ?? "local-dev-key",
  baseURL: `${GATEWAY_URL}/client/v4`,
  maxRetries: 0,
});
const account = { account_id: ACCOUNT_ID };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** json messages arrive base64-encoded; text messages as they are. */
function decode(message) {
  const type = message.metadata?.["CF-Content-Type"];
  return type === "json" ? JSON.parse(Buffer.from(message.body ?? "", "base64").toString("utf8")) : message.body;
}

/** Pulls until our message arrives; anything else pulled meanwhile goes back at once (retry, no delay). */
async function pullOurs(marker) {
  const deadline = Date.now() + PULL_DEADLINE_MS;
  while (Date.now() < deadline) {
    const { messages = [] } = await client.queues.messages.pull(QUEUE, {
      ...account,
      batch_size: 100,
      visibility_timeout_ms: VISIBILITY_TIMEOUT_MS,
    });
    const ours = messages.find((m) => decode(m)?.marker === marker);
    const others = messages.filter((m) => m !== ours).map((m) => ({ lease_id: m.lease_id, delay_seconds: 0 }));
    if (others.length) await client.queues.messages.ack(QUEUE, { ...account, retries: others });
    if (ours) return ours;
    await sleep(POLL_INTERVAL_MS);
  }
  return undefined;
}

const started = Date.now();
const body = { hello: "from the quickstart", marker: randomUUID(), sent_at: new Date().toISOString() };
try {
  await client.queues.messages.push(QUEUE, { ...account, body, content_type: "json" });
} catch (err) {
  console.error(`Push to ${GATEWAY_URL} failed: ${err.message}\nIs the gateway running? \`npm run dev\` starts it.`);
  process.exit(1);
}
console.log(`pushed to ${QUEUE}: ${JSON.stringify(body)}`);

const message = await pullOurs(body.marker);
if (!message) {
  console.error(`The message did not arrive within ${PULL_DEADLINE_MS / 1000} s.`);
  process.exit(1);
}
console.log(
  `pulled after ${((Date.now() - started) / 1000).toFixed(1)} s: id ${message.id}, attempt ${message.attempts}, body ${JSON.stringify(decode(message))}`,
);

const acked = await client.queues.messages.ack(QUEUE, { ...account, acks: [{ lease_id: message.lease_id }] });
console.log(`acked ${acked.ackCount} message: done.`);
