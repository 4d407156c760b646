// Segment's own server library, @segment/analytics-node, configured with nothing but the
// gateway as its `host` and the development write key, against the Worker in workerd (the
// `events` queue buffered, as in development). It sends every call type, batched as it likes;
// then it keeps sending while the gateway is killed (SIGKILL, mid-run: right after it accepted a
// batch, before the client heard so) and restarted on the same state, and the client's own
// retries must deliver every event exactly once (deduplicated by messageId).
// Last, the example consumer (examples/consumer.ts) reads such events from the queue.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Analytics } from "@segment/analytics-node";
import Cloudflare from "cloudflare";
import { freePort, sleep, startWorker } from "../../bench/lib.mjs";

const WRITE_KEY = "local-dev-write-key";
const GATEWAY_KEY = "local-dev-key";

let port;
let state;
let gateway;

const start = () => startWorker({ config: "wrangler.toml", port, state });

before(async () => {
  port = await freePort();
  state = mkdtempSync(join(tmpdir(), "tributary-segment-"));
  gateway = await start();
});

after(() => {
  gateway?.stop();
  rmSync(state, { recursive: true, force: true });
});

const client = () => new Cloudflare({ apiToken: GATEWAY_KEY, baseURL: `${gateway.base}/client/v4`, maxRetries: 0 });

/** Flushes the buffer, then pulls and acks everything in `events`: [{raw, message}] in arrival order. */
async function drainEvents() {
  const flushed = await fetch(`${gateway.base}/admin/queues/events/flush`, {
    method: "POST",
    headers: { authorization: `Bearer ${GATEWAY_KEY}` },
  });
  assert.equal(flushed.status, 200);
  const received = [];
  for (;;) {
    const { messages = [] } = await client().queues.messages.pull("events", { account_id: "local", batch_size: 100 });
    if (!messages.length) return received;
    for (const m of messages) {
      const raw = Buffer.from(m.body, "base64").toString("utf8");
      received.push({ raw, message: JSON.parse(raw) });
    }
    await client().queues.messages.ack("events", {
      account_id: "local",
      acks: messages.map((m) => ({ lease_id: m.lease_id })),
    });
  }
}

/** Calls analytics-node and resolves with the event it built, once delivered (it rejects if delivery failed). */
function send(analytics, method, params) {
  return new Promise((resolve, reject) => {
    analytics[method](params, (err, ctx) => (err ? reject(err) : resolve(ctx.event)));
  });
}

const CALLS = [
  ["track", (u) => ({ userId: u, event: "Order Completed", properties: { total: 12.5, big: 2 ** 53 + 2 } })],
  ["identify", (u) => ({ userId: u, traits: { email: `${u}@example.com` } })],
  ["page", (u) => ({ anonymousId: `anon-${u}`, name: "Home", properties: { path: "/" } })],
  ["screen", (u) => ({ userId: u, name: "Settings" })],
  ["group", (u) => ({ userId: u, groupId: "acme", traits: { plan: "team" } })],
  ["alias", (u) => ({ previousId: `anon-${u}`, userId: u })],
];

test("every call type arrives exactly once in `events`, with its messageId as delivery_id and the event as sent", async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: gateway.base });
  const sending = [];
  for (let u = 0; u < 10; u++)
    for (const [method, params] of CALLS) sending.push(send(analytics, method, params(`user-${u}`)));
  const events = await Promise.all(sending);
  await analytics.closeAndFlush();

  const received = await drainEvents();
  assert.equal(received.length, events.length);
  const byId = new Map(received.map((r) => [r.message.delivery_id, r]));
  assert.equal(byId.size, events.length, "each messageId once");
  for (const event of events) {
    const arrived = byId.get(event.messageId);
    assert.ok(arrived, `${event.type} ${event.messageId} arrived`);
    assert.equal(arrived.message.source, "segment");
    assert.equal(arrived.message.type, event.type);
    assert.equal(arrived.message.event, event.type === "track" ? event.event : event.type);
    // The event as analytics-node serialized it into its batch, byte for byte.
    assert.ok(arrived.raw.endsWith(`,"data":${JSON.stringify(event)}}`), arrived.raw);
  }
});

/**
 * A network hop in front of the gateway (as a load balancer would be) that, at the chosen
 * response, kills the gateway instead of passing the response on: the worst moment for a crash,
 * after the gateway durably accepted a batch and before the client heard so. Then it restarts
 * the gateway on the same port and state; meanwhile requests fail as a dead host's would.
 */
async function crashingHop({ crashAtResponse }) {
  let responses = 0;
  let restarting;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    try {
      const answer = await fetch(`${gateway.base}${req.url}`, {
        method: req.method,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      if (++responses === crashAtResponse) {
        gateway.kill();
        restarting = sleep(300).then(start);
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(body);
    } catch {
      req.socket.destroy(); // the gateway is down: the connection fails
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    restarted: async () => {
      gateway = await restarting;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("killed mid-run and restarted: the client's retries deliver every event exactly once", async () => {
  const hop = await crashingHop({ crashAtResponse: 5 });
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: hop.base });
  const errors = [];
  analytics.on("error", (err) => errors.push(err));
  let retries = 0;
  analytics.on("http_request", ({ headers }) => {
    if (headers["X-Retry-Count"]) retries++;
  });
  const TOTAL = 450;
  const sending = [];
  for (let i = 0; i < TOTAL; i++) {
    sending.push(send(analytics, "track", { anonymousId: `device-${i % 7}`, event: "Tapped", properties: { i } }));
    if (i % 15 === 0) await sleep(10);
  }
  const events = await Promise.all(sending);
  await analytics.closeAndFlush();
  await hop.restarted();
  await hop.close();
  assert.deepEqual(errors, []);
  assert.ok(retries > 0, "the crash interrupted the client: some batches were retried");

  const received = await drainEvents();
  const gatewayIds = new Map();
  for (const { message } of received) {
    const ids = gatewayIds.get(message.delivery_id) ?? new Set();
    ids.add(message.id);
    gatewayIds.set(message.delivery_id, ids);
  }
  const sent = events.map((e) => e.messageId);
  assert.deepEqual([...gatewayIds.keys()].sort(), [...sent].sort(), "every event arrived");
  // Accepted once each: a repeat accepted again would have a second gateway id. (The buffer's
  // own at-least-once push may repeat a message with its same id; consumers dedupe on `id`.)
  const twice = [...gatewayIds].filter(([, ids]) => ids.size > 1).map(([id]) => id);
  assert.deepEqual(twice, [], "no messageId accepted twice");
  assert.equal(new Set(received.map((r) => r.message.id)).size, TOTAL);
});

test("the example consumer reads these events", async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: gateway.base });
  const sending = send(analytics, "track", { userId: "reader", event: "Consumer Demo" });
  await analytics.closeAndFlush();
  const event = await sending;
  await fetch(`${gateway.base}/admin/queues/events/flush`, {
    method: "POST",
    headers: { authorization: `Bearer ${GATEWAY_KEY}` },
  });

  const consumer = spawn("node", ["--experimental-strip-types", "--no-warnings", "examples/consumer.ts"], {
    env: { ...process.env, GATEWAY_URL: gateway.base, GATEWAY_KEY, QUEUE: "events" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  consumer.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise((resolve) => consumer.on("exit", resolve));
  const processed = () =>
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.processed);
  for (let i = 0; i < 100 && !processed().some((l) => l.body?.delivery_id === event.messageId); i++) await sleep(100);
  consumer.kill("SIGTERM");
  assert.equal(await exited, 0);
  const line = processed().find((l) => l.body?.delivery_id === event.messageId);
  assert.ok(line, out);
  assert.equal(line.body.type, "track");
  assert.equal(line.body.event, "Consumer Demo");
  assert.equal(line.body.data.userId, "reader");
});
