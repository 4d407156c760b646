/**
 * Requests to Segment's tracking API (/v1/*) as Segment's clients send them, for the tracking
 * tests: Basic auth with the write key as user name and an empty password, JSON bodies.
 */
import { SELF } from "cloudflare:test";
import { GATEWAY } from "./api";
import { WRITE_KEYS } from "./write-keys";

export const basicAuth = (writeKey: string) => `Basic ${btoa(`${writeKey}:`)}`;

export interface TrackOptions {
  /** The write key in the Authorization header; null sends none. */
  key?: string | null;
  headers?: Record<string, string>;
  contentType?: string | null;
}

/** POST /v1/<path>; `body` is sent as is when a string or bytes, else JSON-encoded. */
export function track(path: string, body: unknown, options: TrackOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? WRITE_KEYS.dev.key : options.key;
  if (key !== null) headers.set("authorization", basicAuth(key));
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (contentType !== null) headers.set("content-type", contentType);
  const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  return SELF.fetch(`${GATEWAY}/v1/${path}`, { method: "POST", headers, body: payload });
}

let counter = 0;
/** A unique messageId, as Segment's libraries generate one per event. */
export const messageId = () => `test-${Date.now()}-${++counter}-${crypto.randomUUID()}`;

/** A track event as analytics-node builds one. */
export function trackEvent(fields: Record<string, unknown> = {}) {
  return {
    type: "track",
    event: "Order Completed",
    anonymousId: "anon-1",
    messageId: messageId(),
    timestamp: new Date().toISOString(),
    properties: { total: 10 },
    ...fields,
  };
}

/** Unique per test, so rate-limit budgets (which reset() does not clear) never leak between tests. */
export const uniqueIp = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 8)}`;
