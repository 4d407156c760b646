/**
 * Builders for requests to the Worker under test (through SELF, the real fetch handler) and small
 * readers for the Cloudflare envelope. Tests describe intent: `push("webhooks", {...})`.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import type { LocalQueue } from "../../src/queues/local-queue";
import { ACCOUNT_ID, KEYS } from "./constants";

export const GATEWAY = "http://gateway.test";
export const DEV_KEY = KEYS.dev.key;

export interface Envelope<T = unknown> {
  success: boolean;
  errors: { code: number; message: string }[];
  messages: string[];
  result: T;
}

export function queuePath(queue: string, action: "" | "batch" | "pull" | "ack" | "peek" | "purge"): string {
  return `/client/v4/accounts/${ACCOUNT_ID}/queues/${queue}/messages${action ? `/${action}` : ""}`;
}

/** The queue as a whole: `…/queues/:queue/metrics` and `…/queues/:queue/purge` (purge-all, not purge by ref). */
export function queueResourcePath(queue: string, resource: "metrics" | "purge"): string {
  return `/client/v4/accounts/${ACCOUNT_ID}/queues/${queue}/${resource}`;
}

export interface CallOptions {
  key?: string | null;
  method?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** A raw call: `body` is sent as is when a string, else JSON-encoded. */
export function call(path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? DEV_KEY : options.key;
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (contentType !== null) headers.set("content-type", contentType);
  return SELF.fetch(`${GATEWAY}${path}`, {
    method: options.method ?? "POST",
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function envelope<T = unknown>(response: Response): Promise<Envelope<T>> {
  return (await response.json()) as Envelope<T>;
}

export interface Metrics {
  backlog_count: number;
  backlog_bytes: number;
  oldest_message_timestamp_ms: number;
}
export interface Pulled {
  id: string;
  attempts: number;
  body: string;
  lease_id: string;
  metadata: Record<string, string>;
  timestamp_ms: number;
}
export interface PullResult {
  message_backlog_count: number;
  messages: Pulled[];
  metadata: { metrics: Metrics };
}
export interface Peeked {
  id: string;
  attempts: number;
  body: string;
  ref: string;
  metadata: Record<string, string>;
  timestamp_ms: number;
}
export interface PurgeResult {
  warnings: Record<string, string>;
}
export interface PurgeStatus {
  completed?: string;
  started_at?: string;
}
export interface AckResult {
  ackCount: number;
  retryCount: number;
  warnings: Record<string, string>;
}

async function expectOk<T>(pending: Promise<Response>): Promise<T> {
  const response = await pending;
  const body = await envelope<T>(response);
  if (response.status !== 200 || !body.success)
    throw new Error(`expected 200, got ${response.status}: ${JSON.stringify(body)}`);
  return body.result;
}

export const push = (queue: string, message: unknown, options?: CallOptions) =>
  expectOk<{ metadata: { metrics: Metrics } }>(call(queuePath(queue, ""), message, options));

export const pushBatch = (queue: string, batch: unknown, options?: CallOptions) =>
  expectOk<{ metadata: { metrics: Metrics } }>(call(queuePath(queue, "batch"), batch, options));

export const pull = (queue: string, request: unknown = {}, options?: CallOptions) =>
  expectOk<PullResult>(call(queuePath(queue, "pull"), request, options));

export const ack = (queue: string, request: unknown, options?: CallOptions) =>
  expectOk<AckResult>(call(queuePath(queue, "ack"), request, options));

export const peek = (queue: string, request: unknown = {}, options?: CallOptions) =>
  expectOk<{ messages: Peeked[] }>(call(queuePath(queue, "peek"), request, options));

/** Purge by ref. */
export const purge = (queue: string, refs: string[], options?: CallOptions) =>
  expectOk<PurgeResult>(call(queuePath(queue, "purge"), { refs: refs.map((ref) => ({ ref })) }, options));

const get = (path: string, options?: CallOptions) =>
  call(path, undefined, { method: "GET", contentType: null, ...options });

export const metrics = (queue: string, options?: CallOptions) =>
  expectOk<Metrics>(get(queueResourcePath(queue, "metrics"), options));

/** Purge-all (`delete_messages_permanently: true`); answers the Queue object. */
export const purgeQueue = (queue: string, options?: CallOptions) =>
  expectOk<{ queue_id?: string; queue_name?: string }>(
    call(queueResourcePath(queue, "purge"), { delete_messages_permanently: true }, options),
  );

export const purgeStatus = (queue: string, options?: CallOptions) =>
  expectOk<PurgeStatus>(get(queueResourcePath(queue, "purge"), options));

/** Pulls and acks until the queue is empty; returns every message seen. */
export async function drain(queue: string): Promise<Pulled[]> {
  const seen: Pulled[] = [];
  for (;;) {
    const { messages } = await pull(queue, { batch_size: 100 });
    if (!messages.length) return seen;
    seen.push(...messages);
    await ack(queue, { acks: messages.map((m) => ({ lease_id: m.lease_id })) });
  }
}

/** A pulled body decoded as the producer sent it: text as is, json parsed from base64. */
export function decode(message: Pick<Pulled, "body" | "metadata">): unknown {
  if (message.metadata["CF-Content-Type"] === "text") return message.body;
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(message.body), (c) => c.charCodeAt(0))));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves a local queue's time forward (leases expire, delays pass) instead of sleeping: its
 * Durable Object reads an injected clock (src/lib/clock.ts).
 */
export async function advanceQueueTime(queue: string, ms: number): Promise<void> {
  await runInDurableObject(env.LOCAL_QUEUE.get(env.LOCAL_QUEUE.idFromName(queue)), (instance: LocalQueue) => {
    instance.clock.advance(ms);
  });
}
