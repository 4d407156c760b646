/**
 * A pull consumer for a Tributary queue, using the official `cloudflare` SDK unchanged.
 *
 *   GATEWAY_URL=http://127.0.0.1:8787 GATEWAY_KEY=local-dev-key QUEUE=webhooks \
 *     node --experimental-strip-types examples/consumer.ts
 *
 * It pulls in a loop, processes each message, acks the successes and retries the failures with
 * a delay, backs off while the queue is empty, and on SIGINT/SIGTERM finishes the batch in hand:
 * everything it leased is acked or handed back (a retry without delay), so nothing waits for a
 * visibility timeout and nothing is lost.
 */
import Cloudflare from "cloudflare";

const GATEWAY_URL = process.env.GATEWAY_URL ?? "http://127.0.0.1:8787";
const QUEUE = process.env.QUEUE ?? "webhooks";
const ACCOUNT_ID = process.env.ACCOUNT_ID ?? "local";
const BATCH_SIZE = Number(process.env.BATCH_SIZE ?? 10);
const VISIBILITY_TIMEOUT_MS = 60_000;
const RETRY_DELAY_SECONDS = Number(process.env.RETRY_DELAY_SECONDS ?? 10);
const IDLE_BACKOFF_MAX_MS = 5_000;

type Pulled = { id?: string; attempts?: number; body?: string; lease_id?: string; metadata?: unknown };

const client = new Cloudflare({
  apiToken: process.env.GATEWAY_KEY ?? "local-dev-key",
  baseURL: `${GATEWAY_URL}/client/v4`,
});

let stopping = false;
let wake: (() => void) | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopping = true;
    wake?.();
  });
}

/** json messages arrive base64-encoded; text messages as they are. */
function decode(message: Pulled): unknown {
  const type = (message.metadata as Record<string, string> | undefined)?.["CF-Content-Type"];
  const body = message.body ?? "";
  return type === "json" ? JSON.parse(Buffer.from(body, "base64").toString("utf8")) : body;
}

/** Your processing goes here. A thrown error means "retry this message later". */
async function handle(message: Pulled): Promise<void> {
  const body = decode(message) as { data?: { fail_once?: boolean } } | string;
  // Demonstration: a payload asking to fail once is retried, then succeeds.
  if (typeof body === "object" && body?.data?.fail_once && message.attempts === 1) throw new Error("simulated failure");
  console.log(JSON.stringify({ processed: message.id, attempts: message.attempts, body }));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

async function main(): Promise<void> {
  let idleMs = 250;
  while (!stopping) {
    let messages: Pulled[];
    try {
      const pulled = await client.queues.messages.pull(QUEUE, {
        account_id: ACCOUNT_ID,
        batch_size: BATCH_SIZE,
        visibility_timeout_ms: VISIBILITY_TIMEOUT_MS,
      });
      messages = pulled.messages ?? [];
    } catch (err) {
      console.error(`pull failed: ${(err as Error).message}`);
      await pause(idleMs);
      idleMs = Math.min(IDLE_BACKOFF_MAX_MS, idleMs * 2);
      continue;
    }
    if (messages.length === 0) {
      await pause(idleMs);
      idleMs = Math.min(IDLE_BACKOFF_MAX_MS, idleMs * 2);
      continue;
    }
    idleMs = 250;
    const acks: { lease_id: string }[] = [];
    const retries: { lease_id: string; delay_seconds: number }[] = [];
    for (const message of messages) {
      const lease_id = message.lease_id as string;
      // Stopping: hand back what we have not started, at once, instead of letting leases expire.
      if (stopping) {
        retries.push({ lease_id, delay_seconds: 0 });
        continue;
      }
      try {
        await handle(message);
        acks.push({ lease_id });
      } catch (err) {
        console.error(`message ${message.id} failed (${(err as Error).message}); retrying in ${RETRY_DELAY_SECONDS}s`);
        retries.push({ lease_id, delay_seconds: RETRY_DELAY_SECONDS });
      }
    }
    await client.queues.messages.ack(QUEUE, { account_id: ACCOUNT_ID, acks, retries });
  }
  console.log(JSON.stringify({ stopped: true }));
}

await main();
