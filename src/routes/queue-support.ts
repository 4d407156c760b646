/**
 * What every compatible queue route shares: the Queues API base path, who may call it, the JSON
 * body reader, the queue's upstream, and the OpenAPI description.
 *
 * Order of checks: key (401), queue (400/404), scope on that queue (403), then the body (4xx),
 * so nothing about validation is revealed to a caller without a key.
 */
import type { Context, MiddlewareHandler } from "hono";
import type * as z from "zod";
import { allows } from "../auth/keys";
import type { Scope } from "../auth/schemas";
import type { AppEnv } from "../config/env";
import { ErrorCode, GatewayError } from "../http/errors";
import { requireJsonBody } from "../http/validate";
import { bearer, documented, envelopeOf, jsonBody, responses } from "../openapi/route-docs";
import { MAX_API_REQUEST_BYTES } from "../queues/limits";
import { type ResolvedQueue, resolveQueue } from "../queues/resolve";
import { upstreamFor } from "../queues/upstreams/upstream";
import { authenticate } from "./bearer";

/** Cloudflare's path of one queue; `:account_id` is accepted for compatibility and ignored. */
export const QUEUE_PATH = "/client/v4/accounts/:account_id/queues/:queue_id";

export type QueueEnv = AppEnv & { Variables: { queue: ResolvedQueue } };

/** The key must hold one of `scopes` on the queue named by `:queue_id` (by name or Cloudflare id). */
export function queueAccess(...scopes: [Scope, ...Scope[]]): MiddlewareHandler<QueueEnv> {
  return async function queueAccess(c, next) {
    const key = await authenticate(c);
    const queue = resolveQueue(c.get("config"), c.req.param("queue_id") ?? "");
    c.set("log", { ...c.get("log"), queue: queue.name });
    if (!scopes.some((scope) => allows(key, scope, queue.name))) {
      throw new GatewayError(
        403,
        ErrorCode.AUTHENTICATION,
        `Forbidden: this key may not ${scopes.join(" or ")} on queue "${queue.name}"`,
      );
    }
    c.set("queue", queue);
    await next();
  };
}

export const json = requireJsonBody(MAX_API_REQUEST_BYTES);

/** The queue's upstream, for the routes that talk to it directly (all but push, which goes through the buffer). */
export const upstream = (c: Context<QueueEnv>) => upstreamFor(c.get("queue"), c.get("config"), c.env);

const API_ERRORS = [400, 401, 403, 404, 429, 502, 503, 504];
const BODY_ERRORS = [413, 415];

/** A queue route's OpenAPI description: its body (POST) and the envelope of its result. */
export const describeQueueRoute = (summary: string, { body, result }: { body?: z.ZodType; result: z.ZodType }) =>
  documented({
    tags: ["Queues"],
    summary,
    security: bearer,
    ...(body && { requestBody: jsonBody(body) }),
    responses: responses(
      { 200: { description: "OK", schema: envelopeOf(result) } },
      body ? [...API_ERRORS, ...BODY_ERRORS] : API_ERRORS,
    ),
  });
