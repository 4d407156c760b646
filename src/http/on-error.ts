/**
 * The single place where failures become HTTP answers. Known GatewayErrors keep their status;
 * Hono's own HTTPExceptions (for example a malformed body seen by a validator) become 4xx
 * envelopes; anything else is a bug and answers a generic 500 without a stack trace.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "../lib/vars";
import type { HttpEnv } from "./env";
import { ErrorCode, failure, GatewayError } from "./errors";

export function onError<E extends HttpEnv>(err: Error, c: Context<E>): Response {
  const error = toGatewayError(err);
  if (error.status >= 500) c.set("errorDetail", err.message as E["Variables"]["errorDetail"]);
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(failure(error.errors), error.status);
}

function toGatewayError(err: Error): GatewayError {
  if (err instanceof GatewayError) return err;
  // Names the misconfigured field (never a value), so operators can fix a deployment.
  if (err instanceof ConfigError) return new GatewayError(500, ErrorCode.CONFIG_INVALID, err.message);
  if (err instanceof HTTPException && err.status < 500) {
    return new GatewayError(err.status as 400, ErrorCode.BODY_INVALID, err.message || "Bad request");
  }
  return new GatewayError(500, ErrorCode.INTERNAL, "Internal error");
}

export function notFound(): never {
  throw new GatewayError(404, ErrorCode.NO_ROUTE, "No route for that URI");
}
