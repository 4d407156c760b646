/**
 * The Cloudflare-compatible Queues messages API: same paths, bodies and envelopes as
 * api.cloudflare.com, so the official `cloudflare` SDK works with baseURL "<gateway>/client/v4".
 * `:queue_id` is a configured queue name or its Cloudflare id; `:account_id` is accepted for
 * compatibility (the gateway key, not the account, decides access).
 *
 * Order of checks: key (401), queue (404), scope and queue access (403), then the body (4xx),
 * so nothing about validation is revealed to a caller without a key.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { authenticate } from "../auth/bearer";
import { allows } from "../auth/keys";
import { acceptMessages } from "../buffer/accept";
import type { Scope } from "../config/schema";
import type { AppEnv } from "../env";
import { ErrorCode, GatewayError, ok } from "../http/errors";
import { requireJsonBody, validJson } from "../http/validate";
import { bearer, documented, envelopeOf, jsonBody, responses } from "../openapi/describe";
import { MAX_API_REQUEST_BYTES } from "./limits";
import { type ResolvedQueue, resolveQueue } from "./resolve";
import { AckRequest, AckResult, BatchRequest, PullRequest, PullResult, PushMessage, PushResult, type QueueMessage } from "./schemas";
import { upstreamFor } from "./upstream";

export const QUEUE_ROUTE = "/client/v4/accounts/:account_id/queues/:queue_id/messages";

type QueueEnv = AppEnv & { Variables: { queue: ResolvedQueue } };

/** Pull and ack talk to the upstream directly; pushes go through acceptMessages (buffer or direct). */
const upstream = (c: Context<QueueEnv>) => upstreamFor(c.var.queue, c.var.config, c.env);

function queueAccess(scope: Scope): MiddlewareHandler<QueueEnv> {
  return async function queueAccess(c, next) {
    const key = await authenticate(c);
    const queue = resolveQueue(c.var.config, c.req.param("queue_id") ?? "");
    c.set("log", { ...c.var.log, queue: queue.name });
    if (!allows(key, scope, queue.name)) {
      throw new GatewayError(403, ErrorCode.AUTHENTICATION, `Forbidden: this key may not ${scope} on queue "${queue.name}"`);
    }
    c.set("queue", queue);
    await next();
  };
}

const json = requireJsonBody(MAX_API_REQUEST_BYTES);

/** Pushes go through the queue's buffer (or straight upstream in direct mode). */
async function accepted(c: Context<QueueEnv>, messages: QueueMessage[]) {
  c.set("log", { ...c.var.log, messages: messages.length });
  const result = await acceptMessages(c.var.config, c.env, c.var.queue, messages);
  if (!result.ok) {
    c.set("errorDetail", result.detail);
    throw new GatewayError(503, ErrorCode.UPSTREAM_UNAVAILABLE, "Queue temporarily unavailable; retry later", {
      headers: { "Retry-After": String(result.retryAfterSeconds) },
    });
  }
  return c.json(ok({ metadata: { metrics: result.metrics } }));
}

const API_ERRORS = [400, 401, 403, 404, 413, 415, 429, 502, 503, 504];
const describe = (summary: string, body: Parameters<typeof jsonBody>[0], result: Parameters<typeof envelopeOf>[0]) =>
  documented({
    tags: ["Queues"],
    summary,
    security: bearer,
    requestBody: jsonBody(body),
    responses: responses({ 200: { description: "OK", schema: envelopeOf(result) } }, API_ERRORS),
  });

export const queueRoutes = new Hono<QueueEnv>()
  .post(
    "/",
    describe("Push a message", PushMessage, PushResult),
    queueAccess("push"),
    json,
    validJson(PushMessage, { topLevelDelayCode: ErrorCode.MESSAGE_METADATA_INVALID }),
    async (c) => {
      return accepted(c, [c.req.valid("json")]);
    },
  )
  .post("/batch", describe("Push a batch of messages", BatchRequest, PushResult), queueAccess("push"), json, validJson(BatchRequest), async (c) => {
    return accepted(c, c.req.valid("json"));
  })
  .post("/pull", describe("Pull (lease) messages", PullRequest, PullResult), queueAccess("pull"), json, validJson(PullRequest), async (c) => {
    const result = await upstream(c).pull(c.req.valid("json"));
    c.set("log", { ...c.var.log, messages: result.messages.length });
    return c.json(ok(result));
  })
  .post("/ack", describe("Acknowledge or retry leased messages", AckRequest, AckResult), queueAccess("ack"), json, validJson(AckRequest), async (c) => {
    return c.json(ok(await upstream(c).ack(c.req.valid("json"))));
  });
