/**
 * The stand-in for Cloudflare's Queues REST API used by the tests: one stateful peer, configured
 * once in vitest.config.ts. It is the gateway's own local queue served over HTTP (real leases,
 * acks, retries), with a fault injector in front. Tests script faults through `POST /__faults`:
 *   { "faults": [ { "status": 429, "retry_after": 3 } | { "status": 500 } | { "hang": true }
 *                 | { "malformed": true } ] }
 * Each queued fault answers exactly one following API call, in order. A rule outlives them:
 * `"reject_containing": "<text>"` refuses any push whose body contains the text with 413 /
 * 10204, as Cloudflare refuses a message it will never accept; `"push_failure_rate": 0.3` fails
 * that share of pushes at random (429 with retry-after, 500, or a hang), and
 * `"outage_ms": 10000` fails every call with 503 for that long. `GET /__calls` returns
 * the API calls seen (path and Authorization header), so tests can check what left the gateway.
 * It also consumes the binding upstream's queue, as Cloudflare would deliver it to a REST pull,
 * and serves `FaultyProducer`: a queue producer binding (`sendBatch`, reached as a service binding)
 * that obeys the same failure rate and outage, failing by throwing or by answering too late, and
 * stores what it accepts in the queue FAULTY_QUEUE_ID names (a producer that fails cannot run here),
 * and answers Turnstile's siteverify like Cloudflare does for its documented test secret
 * (TURNSTILE_TEST_SECRET): tokens pass unless they start with "invalid".
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { app } from "../../src/app";
import { loadConfig } from "../../src/config/load";
import { resolveQueue } from "../../src/queues/resolve";
import { localPolicy, localQueueStub } from "../../src/queues/upstreams/local";

import { TURNSTILE_TEST_SECRET } from "../support/constants";

export { LocalQueue } from "../../src/queues/local-queue";

type Fault = { status?: number; retry_after?: number; hang?: boolean; malformed?: boolean };

let faults: Fault[] = [];
let rejectContaining: string | undefined;
let pushFailureRate = 0;
let outageUntil = 0;
const RANDOM_FAULTS: Fault[] = [{ status: 429, retry_after: 1 }, { status: 500 }, { hang: true }];
let calls: { path: string; authorization: string | null }[] = [];

const envelope = (status: number) =>
  JSON.stringify({
    success: false,
    errors: [{ code: status === 429 ? 971 : 15000, message: `injected ${status}` }],
    messages: [],
    result: null,
  });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/__faults") {
      const body = (await request.json()) as {
        faults?: Fault[];
        reject_containing?: string;
        push_failure_rate?: number;
        outage_ms?: number;
      };
      faults = body.faults ?? [];
      rejectContaining = body.reject_containing;
      pushFailureRate = body.push_failure_rate ?? 0;
      outageUntil = body.outage_ms ? Date.now() + body.outage_ms : 0;
      calls = [];
      return Response.json({ ok: true });
    }
    if (url.pathname === "/__calls") return Response.json(calls);
    if (url.hostname === "challenges.cloudflare.com" && url.pathname === "/turnstile/v0/siteverify") {
      // Decoded by hand: workerd warns on .text() of a form-encoded body.
      const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
      const token = form.get("response") ?? "";
      const success = form.get("secret") === TURNSTILE_TEST_SECRET && token !== "" && !token.startsWith("invalid");
      return Response.json({ success, "error-codes": success ? [] : ["invalid-input-response"] });
    }
    calls.push({ path: url.pathname, authorization: request.headers.get("authorization") });
    const isPush = url.pathname.endsWith("/messages/batch") || url.pathname.endsWith("/messages");
    const fault =
      faults.shift() ??
      (Date.now() < outageUntil ? { status: 503 } : undefined) ??
      (isPush && Math.random() < pushFailureRate
        ? RANDOM_FAULTS[Math.floor(Math.random() * RANDOM_FAULTS.length)]
        : undefined);
    if (fault) await request.arrayBuffer(); // consume the body as the real API would
    if (fault?.hang) {
      await new Promise((resolve) => setTimeout(resolve, 5_000)); // far past the gateway's timeout
    }
    if (fault?.malformed)
      return new Response("<html>bad gateway</html>", { status: 200, headers: { "content-type": "text/html" } });
    if (fault?.status) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (fault.retry_after !== undefined) headers["retry-after"] = String(fault.retry_after);
      return new Response(envelope(fault.status), { status: fault.status, headers });
    }
    if (rejectContaining && url.pathname.endsWith("/messages/batch")) {
      const text = await request.text();
      if (text.includes(rejectContaining)) {
        return Response.json(
          { success: false, errors: [{ code: 10204, message: "message too large" }], messages: [], result: null },
          { status: 413 },
        );
      }
      return app.fetch(new Request(request, { body: text }), env);
    }
    return app.fetch(request, env);
  },

  async queue(batch, env) {
    const config = loadConfig(env);
    const queue = resolveQueue(config, env.BOUND_QUEUE_ID);
    const messages = batch.messages.map((m) =>
      typeof m.body === "string"
        ? { body: m.body, content_type: "text" as const }
        : { body: JSON.stringify(m.body), content_type: "json" as const },
    );
    await localQueueStub(env, queue.name).push(localPolicy(queue.name, config), messages);
    batch.ackAll();
  },
} satisfies ExportedHandler<Env & { BOUND_QUEUE_ID: string }>;

type PeerEnv = Env & { FAULTY_QUEUE_ID: string };

/** A producer binding whose sends fail like the REST pushes do (throw, or hang past the gateway's timeout). */
export class FaultyProducer extends WorkerEntrypoint<PeerEnv> {
  async sendBatch(messages: { body: unknown; contentType?: string }[]): Promise<void> {
    if (Date.now() < outageUntil) throw new Error("queue unavailable (injected outage)");
    if (Math.random() < pushFailureRate) {
      if (Math.random() < 0.5) throw new Error("queue unavailable (injected)");
      // Far past the gateway's timeout, then refused: as the REST stand-in's hang, nothing lands
      // (a send that timed out and landed anyway is a duplicate by design: at least once).
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      throw new Error("queue unavailable (injected timeout)");
    }
    const config = loadConfig(this.env);
    const queue = resolveQueue(config, this.env.FAULTY_QUEUE_ID);
    const stored = messages.map((m) =>
      m.contentType === "text"
        ? { body: String(m.body), content_type: "text" as const }
        : { body: JSON.stringify(m.body), content_type: "json" as const },
    );
    await localQueueStub(this.env, queue.name).push(localPolicy(queue.name, config), stored);
  }
}
