/**
 * Request id and the one structured log line per request. The line holds method, path, status,
 * duration and the fields routes add (queue, key name, message count) — never headers, bodies,
 * keys or signatures. Successful requests log at the configured sample rate (the line is the
 * largest per-request cost after the durable write); every refusal and error logs.
 */
import type { MiddlewareHandler } from "hono";
import { randomHex } from "../lib/ids";
import type { HttpEnv } from "./env";

export const REQUEST_ID_HEADER = "X-Request-Id";

export function requestLog(): MiddlewareHandler<HttpEnv> {
  return async function requestLog(c, next) {
    const started = Date.now();
    const requestId = c.req.header("cf-ray") ?? randomHex(8);
    c.set("requestId", requestId);
    c.set("log", {});
    // Set before the handler runs, so the response is built with it: set afterwards, Hono copies
    // the whole finished response to make its headers writable (a tenth of a request's CPU).
    c.header(REQUEST_ID_HEADER, requestId);
    await next();
    // A response the handler did not build (an asset, a fetched one) did not take it.
    if (!c.res.headers.has(REQUEST_ID_HEADER)) c.header(REQUEST_ID_HEADER, requestId);
    const rate = c.get("config")?.log_success_sample_rate ?? 1;
    if (c.res.status < 400 && rate < 1 && Math.random() >= rate) return;
    const line = {
      level: c.res.status >= 500 ? "error" : "info",
      request_id: requestId,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      duration_ms: Date.now() - started,
      ...c.get("log"),
      ...(c.get("errorDetail") && { error: c.get("errorDetail") }),
    };
    console.log(JSON.stringify(line));
  };
}
