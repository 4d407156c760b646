/**
 * Peek and purge by ref (`…/messages/peek`, `…/messages/purge`): looking at what waits in a queue
 * and deleting chosen messages without consuming them. Neither is a delivery: nothing is leased,
 * attempts stay as they are, nothing is dead-lettered or counted as acked. Both see the queue
 * itself: messages still in the gateway's buffer (for up to `max_wait_ms`) are not there yet.
 * Refs come from the upstream: the local queue's own (./refs.ts), or Cloudflare's, passed through.
 */
import { Hono } from "hono";
import { ok } from "../http/errors";
import { validJson } from "../http/validate";
import { PeekRequest, PeekResult, PurgeRequest, PurgeResult } from "../queues/schemas";
import { describeQueueRoute, json, type QueueEnv, queueAccess, upstream } from "./queue-support";

export const peekRoutes = new Hono<QueueEnv>()
  .post(
    "/peek",
    describeQueueRoute("Peek messages without leasing them", { body: PeekRequest, result: PeekResult }),
    queueAccess("peek"),
    json,
    validJson(PeekRequest),
    async (c) => {
      const result = await upstream(c).peek(c.req.valid("json"));
      c.set("log", { ...c.get("log"), messages: result.messages.length });
      return c.json(ok(result));
    },
  )
  .post(
    "/purge",
    describeQueueRoute("Delete peeked messages by ref", { body: PurgeRequest, result: PurgeResult }),
    queueAccess("purge"),
    json,
    validJson(PurgeRequest),
    async (c) => {
      return c.json(ok(await upstream(c).purge(c.req.valid("json"))));
    },
  );
