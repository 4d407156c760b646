/**
 * The cloudflare upstream: Cloudflare's Queues REST API (or anything speaking it, at
 * QUEUES_API_BASE_URL). The API token is sent upstream only; nothing from the request's own
 * Authorization header is forwarded, and upstream answers are re-validated before use.
 */
import type * as z from "zod";
import { ErrorCode, type ErrorDetail } from "../../http/errors";
import type { QueueSettings } from "../config";
import { PurgeStatus, QueueInfo } from "../queue-schemas";
import type { ResolvedQueue } from "../resolve";
import { AckResult, Metrics, PeekResult, PullResult, PurgeResult, PushResult, type QueueMessage } from "../schemas";
import type { Upstream } from "./upstream";
import { UpstreamError } from "./upstream-error";

export function restUpstream(queue: ResolvedQueue, config: QueueSettings, _env: Env): Upstream {
  const base = `${config.api_base_url.replace(/\/+$/, "")}/accounts/${encodeURIComponent(config.account_id)}/queues/${queue.config.cloudflare_id}`;
  const call = <T extends z.ZodType>(path: string, body: string | undefined, schema: T) =>
    callApi(`${base}${path}`, body, schema, config.api_token ?? "", config.api_timeout_ms);
  return {
    push: (messages) => call("/messages/batch", batchBody(messages), PushResult),
    pull: (request) => call("/messages/pull", JSON.stringify(request), PullResult),
    ack: (request) => call("/messages/ack", JSON.stringify(request), AckResult),
    peek: (request) => call("/messages/peek", JSON.stringify(request), PeekResult),
    purge: (request) => call("/messages/purge", JSON.stringify(request), PurgeResult),
    metrics: () => call("/metrics", undefined, Metrics),
    purgeAll: () => call("/purge", JSON.stringify({ delete_messages_permanently: true }), QueueInfo),
    purgeStatus: () => call("/purge", undefined, PurgeStatus),
  };
}

/** The batch body, with json bodies embedded as their original text (never re-serialized). */
export function batchBody(messages: readonly QueueMessage[]): string {
  const items = messages.map((m) => {
    const body = m.content_type === "json" ? m.body : JSON.stringify(m.body);
    const delay = m.delay_seconds === undefined ? "" : `,"delay_seconds":${m.delay_seconds}`;
    return `{"content_type":"${m.content_type}","body":${body}${delay}}`;
  });
  return `{"messages":[${items.join(",")}]}`;
}

/** POSTs `body` as JSON, or GETs when there is none (metrics, purge status). */
async function callApi<T extends z.ZodType>(
  url: string,
  body: string | undefined,
  schema: T,
  token: string,
  timeoutMs: number,
): Promise<z.infer<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw UpstreamError.timeout(`Cloudflare API did not answer within ${timeoutMs} ms`);
    }
    throw UpstreamError.unavailable("Cloudflare API unreachable");
  }
  let envelope: { success?: unknown; errors?: unknown; result?: unknown } | undefined;
  try {
    envelope = (await response.json()) as typeof envelope;
  } catch {
    envelope = undefined;
  }
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  if (!response.ok || envelope?.success !== true) {
    throw failure(response.status, envelope?.errors, retryAfter);
  }
  const parsed = schema.safeParse(envelope.result);
  if (!parsed.success) throw UpstreamError.unavailable("Cloudflare API answered a malformed result");
  return parsed.data;
}

function failure(status: number, rawErrors: unknown, retryAfterSeconds: number | undefined): UpstreamError {
  const errors = upstreamErrors(rawErrors);
  // The gateway's own credentials being refused is our fault, not the client's: never a 401/403.
  if (status === 401 || status === 403) {
    return UpstreamError.unavailable("Cloudflare API refused the gateway's credentials (check QUEUES_API_TOKEN)");
  }
  if (status >= 400 && status < 600 && errors.length) {
    return new UpstreamError(status as 400, errors, { retryAfterSeconds });
  }
  if (status === 429)
    return new UpstreamError(429, [{ code: ErrorCode.RATE_LIMITED, message: "Cloudflare API rate limit" }], {
      retryAfterSeconds,
    });
  return UpstreamError.unavailable(`Cloudflare API answered ${status} without a valid envelope`);
}

function upstreamErrors(raw: unknown): ErrorDetail[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((e): e is { code: unknown; message: unknown } => typeof e === "object" && e !== null)
    .map((e) => ({
      code: typeof e.code === "number" ? e.code : ErrorCode.UPSTREAM_UNAVAILABLE,
      message: typeof e.message === "string" ? e.message.slice(0, 500) : "Upstream error",
    }));
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
