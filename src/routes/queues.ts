/**
 * The Cloudflare-compatible Queues messages API, producing and consuming: push, batch, pull and
 * ack, with the same paths, bodies and envelopes as api.cloudflare.com, so the official
 * `cloudflare` SDK works with baseURL "<gateway>/client/v4". `:queue_id` is a configured queue
 * name or its Cloudflare id. Peek and purge by ref are ./peek.ts; the queue as a whole (metrics,
 * purging it) ./backlog.ts; access and descriptions shared by all three ./route-support.ts.
 */
import { type Context, Hono } from "hono";
import { acceptMessages, parcelOf } from "../buffer/accept";
import { ErrorCode, GatewayError, ok } from "../http/errors";
import { validJson } from "../http/validate";
import {
  AckRequest,
  AckResult,
  BatchRequest,
  PullRequest,
  PullResult,
  PushMessage,
  PushResult,
  type QueueMessage,
} from "../queues/schemas";
import { describeQueueRoute, json, QUEUE_PATH, type QueueEnv, queueAccess, upstream } from "./queue-support";

export const QUEUE_ROUTE = `${QUEUE_PATH}/messages`;

/** Pushes go through the queue's buffer (or straight upstream in direct mode). */
async function accepted(c: Context<QueueEnv>, messages: QueueMessage[]) {
  c.set("log", { ...c.get("log"), messages: messages.length });
  const result = await acceptMessages(c.get("config"), c.env, c.get("queue"), [parcelOf(messages)]);
  if (!result.ok) {
    c.set("errorDetail", result.detail);
    throw new GatewayError(503, ErrorCode.UPSTREAM_UNAVAILABLE, "Queue temporarily unavailable; retry later", {
      headers: { "Retry-After": String(result.retryAfterSeconds) },
    });
  }
  return c.json(ok({ metadata: { metrics: result.metrics } }));
}

export const queueRoutes = new Hono<QueueEnv>()
  .post(
    "/",
    describeQueueRoute("Push a message", { body: PushMessage, result: PushResult }),
    queueAccess("push"),
    json,
    validJson(PushMessage, { topLevelDelayCode: ErrorCode.MESSAGE_METADATA_INVALID }),
    async (c) => {
      return accepted(c, [c.req.valid("json")]);
    },
  )
  .post(
    "/batch",
    describeQueueRoute("Push a batch of messages", { body: BatchRequest, result: PushResult }),
    queueAccess("push"),
    json,
    validJson(BatchRequest),
    async (c) => {
      return accepted(c, c.req.valid("json"));
    },
  )
  .post(
    "/pull",
    describeQueueRoute("Pull (lease) messages", { body: PullRequest, result: PullResult }),
    queueAccess("pull"),
    json,
    validJson(PullRequest),
    async (c) => {
      const result = await upstream(c).pull(c.req.valid("json"));
      c.set("log", { ...c.get("log"), messages: result.messages.length });
      return c.json(ok(result));
    },
  )
  .post(
    "/ack",
    describeQueueRoute("Acknowledge or retry leased messages", { body: AckRequest, result: AckResult }),
    queueAccess("ack"),
    json,
    validJson(AckRequest),
    async (c) => {
      return c.json(ok(await upstream(c).ack(c.req.valid("json"))));
    },
  );
