/**
 * Segment's tracking API at the gateway root, where Segment's clients post: /v1/track,
 * /identify, /page, /screen, /group, /alias, /batch, and analytics.js's /v1/t, /i, /p, /s, /g,
 * /a, /b. Named steps over the one Result type, as /ingest: write key → IP limit → body
 * (Segment's caps, gzip) → events → user limits → validation → envelopes → deliver, with one
 * delivery per messageId, answered only once the new messages are durably accepted.
 * The write key comes as Segment's clients send it: `Authorization: Basic base64(key:)`, checked
 * (and the IP counted) before the body is read; or, from analytics.js, `writeKey` in the body.
 * It names the source; the source names the queue, limits, CORS and encodings.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { WriteKeyConfig } from "../auth/schemas";
import { basicWriteKey, findWriteKey } from "../auth/write-keys";
import type { AppEnv } from "../config/env";
import type { GatewayConfig } from "../config/schema";
import { type ContentEncoding, isWriteKeySource, type WriteKeySource } from "../config/source-schema";
import type { ErrorDetail } from "../http/errors";
import { readBody } from "../ingest/body";
import { deliver, type Outcome } from "../ingest/deliver";
import { messageDeliveriesOf } from "../ingest/delivery";
import { checkSizes } from "../ingest/normalize";
import { checkRateLimit, checkUserLimits } from "../ingest/rate-limit";
import { mediaType } from "../lib/media";
import { fail, must, Refused, type Result, success, unauthorized } from "../lib/result";
import { documented, jsonBody, responses } from "../openapi/route-docs";
import { pickHeaders, safeHeaders } from "../providers/headers";
import { noteRefusal } from "../refusals/record";
import { eventFingerprint, trackingMessage } from "../segment/normalize";
import {
  checkEvent,
  MAX_BATCH_REQUEST_BYTES,
  MAX_EVENT_BYTES,
  parseRequest,
  type TrackingRequest,
  type ValidEvent,
} from "../segment/parse";
import { conflictingEvent, invalidEvent, nothingAccepted, trackingError } from "../segment/respond";
import { Accepted, BatchRequest, ENDPOINTS, type Endpoint, EVENT_SCHEMAS } from "../segment/schemas";

type Rejected = ErrorDetail & { path: (string | number)[] };
/** Segment's answer: `{"success": true}`, with the refused events of a partly accepted batch. */
type Answer = { success: true; rejected?: Rejected[] };
interface Caller {
  key: WriteKeyConfig;
  sourceName: string;
  source: WriteKeySource;
}

/** Headers copied into envelopes: what Segment itself records about the sender. Never credentials. */
const FORWARDED_HEADERS = ["user-agent"];

export const trackingRoutes = new Hono<AppEnv>().use("*", trackingCors);

for (const [path, endpoint] of Object.entries(ENDPOINTS)) {
  trackingRoutes.post(`/${path}`, documented(describeEndpoint(path, endpoint)), async (c) => {
    try {
      return c.json(await track(c, endpoint), 200);
    } catch (err) {
      if (err instanceof Refused) {
        c.set("log", {
          ...c.get("log"),
          refused: err.failure.reason === "unauthorized" ? err.failure.why : err.failure.reason,
        });
        throw noteRefusal(c, c.get("log").source, trackingError(err.failure));
      }
      throw err;
    }
  });
}

async function track(c: Context<AppEnv>, endpoint: Endpoint): Promise<Answer> {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  // Segment's libraries send the key in a header: authenticated and counted before the body is read.
  const headerKey = basicWriteKey(c.req.header("authorization") ?? null);
  if (headerKey === undefined) must(unauthorized("missing_credentials"));
  const early = headerKey ? must(await callerOf(c, headerKey)) : undefined;
  if (early) must(await limitIp(c, early, ip));

  const request = must(await readRequest(c, endpoint, early));
  // analytics.js without a header: the key is in the body.
  const caller = early ?? must(await callerOf(c, request.writeKey));
  if (!early) must(await limitIp(c, caller, ip));
  must(sourceTakes(c, caller.source));
  const userBinding = caller.source.rate_limit?.user_binding;
  if (userBinding) must(await checkUserLimits(c.env, userBinding, caller.key.name, usersOf(request.events)));

  const { valid, rejected } = sortEvents(request, endpoint);
  if (valid.length === 0) throw nothingAccepted(rejected);
  const outcomes = must(await handOver(c, caller, request, valid));
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.state === "conflict")
      rejected.push(conflictingEvent(endpoint === "batch" ? ["batch", valid[i]!.index] : []));
  }
  const fresh = outcomes.filter((o) => o.state === "new").length;
  const duplicates = outcomes.filter((o) => o.state === "duplicate").length;
  c.set("log", { ...c.get("log"), messages: fresh, duplicates, rejected: rejected.length });
  if (fresh + duplicates === 0) throw nothingAccepted(rejected);
  rejected.sort((a, b) => Number(a.path[1] ?? 0) - Number(b.path[1] ?? 0));
  return rejected.length ? { success: true, rejected } : { success: true };
}

/** The body, within Segment's cap for the endpoint, read into its events. */
async function readRequest(
  c: Context<AppEnv>,
  endpoint: Endpoint,
  caller: Caller | undefined,
): Promise<Result<TrackingRequest>> {
  const media = mediaType(c.req.header("content-type"));
  // analytics.js posts JSON as text/plain, so that browsers send it without a preflight.
  if (media?.kind !== "json" && media?.type !== "text/plain")
    return fail({ reason: "unsupported_media_type", detail: "application/json, text/plain" });
  const cap = endpoint === "batch" ? MAX_BATCH_REQUEST_BYTES : MAX_EVENT_BYTES;
  const body = await readBody(c, cap, caller ? caller.source.content_encodings : writeKeyEncodings(c.get("config")));
  return body.ok ? parseRequest(body.value, endpoint) : body;
}

/** The source's own media types and encodings (a body read before its key was known was read more leniently). */
function sourceTakes(c: Context<AppEnv>, source: WriteKeySource): Result<void> {
  const kind = mediaType(c.req.header("content-type"))?.kind;
  if (!kind || !source.accept.includes(kind))
    return fail({ reason: "unsupported_media_type", detail: source.accept.join(", ") });
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  const format = encoding === "x-gzip" ? "gzip" : encoding;
  if (format !== "identity" && !source.content_encodings.includes(format as ContentEncoding)) {
    return fail({ reason: "unsupported_encoding", accepted: source.content_encodings });
  }
  return success(undefined);
}

/** Each event against its call's schema and Segment's size limit: the valid ones, and where and why the others are not. */
function sortEvents(request: TrackingRequest, endpoint: Endpoint): { valid: ValidEvent[]; rejected: Rejected[] } {
  const valid: ValidEvent[] = [];
  const rejected: Rejected[] = [];
  for (const raw of request.events) {
    const checked = checkEvent(raw, endpoint);
    if (checked.ok) valid.push(checked.event);
    else rejected.push(...checked.issues.map(invalidEvent));
  }
  return { valid, rejected };
}

/** One envelope per valid event, one delivery per messageId, handed over together: durable before this returns. */
async function handOver(
  c: Context<AppEnv>,
  caller: Caller,
  request: TrackingRequest,
  valid: ValidEvent[],
): Promise<Result<Outcome[]>> {
  const source = caller.source;
  const meta = {
    source: caller.sourceName,
    headers: pickHeaders(c.req.raw.headers, safeHeaders(FORWARDED_HEADERS, source.headers)),
    received_ms: Date.now(),
    sent_at: request.sentAt,
    shared: request.shared,
    delay_seconds: source.delay_seconds,
  };
  const messages = valid.map((event) => trackingMessage(event, meta));
  for (const message of messages) {
    const fits = checkSizes([message.message]);
    if (!fits.ok) return fits;
  }
  // One delivery per messageId, per write key; an event without a messageId is not deduplicated.
  const deliveries = await messageDeliveriesOf({
    sourceName: caller.sourceName,
    source,
    caller: caller.key.name,
    messages: valid.map((event) => ({ id: event.data.messageId ?? null, payload: eventFingerprint(event.data) })),
  });
  const parcels = messages.map((message, i) => ({
    messages: [message],
    ...(deliveries[i] && { delivery: deliveries[i] }),
  }));
  const delivered = await deliver(c.get("config"), c.env, source.queue, parcels);
  if (!delivered.ok && delivered.reason === "upstream_unavailable") c.set("errorDetail", delivered.detail);
  return delivered;
}

/** The write key's source; an unknown or missing key is the generic 401. */
async function callerOf(c: Context<AppEnv>, presented: string | undefined): Promise<Result<Caller>> {
  if (!presented) return unauthorized("missing_credentials");
  const config = c.get("config");
  const key = await findWriteKey(config.write_keys, presented);
  const source = key && Object.hasOwn(config.sources, key.source) ? config.sources[key.source] : undefined;
  // The configuration guarantees a write key's source exists and is a write_key source.
  if (!key || !source || !isWriteKeySource(source)) return unauthorized("unknown_credentials");
  c.set("log", { ...c.get("log"), source: key.source, queue: source.queue, key: key.name });
  return success({ key, sourceName: key.source, source });
}

/** Each request counts against its client's IP: a write key is shared by every install of an app. */
function limitIp(c: Context<AppEnv>, caller: Caller, ip: string): Promise<Result<void>> {
  const limit = caller.source.rate_limit;
  return limit ? checkRateLimit(c.env, limit.binding, `ip:${ip}`) : Promise.resolve(success(undefined));
}

/** The end users a request names: a device's anonymousId (or, without one, its userId). */
function* usersOf(events: { data: unknown }[]): Generator<string> {
  for (const { data } of events) {
    if (typeof data !== "object" || data === null) continue;
    const { anonymousId, userId } = data as { anonymousId?: unknown; userId?: unknown };
    const id = anonymousId ?? userId;
    if (typeof id === "string" || typeof id === "number") yield String(id);
  }
}

/** Before the key is known (it is in the body), a body may use any encoding some write-key source accepts; its own source's is checked after. */
function writeKeyEncodings(config: GatewayConfig): ContentEncoding[] {
  return [...new Set(Object.values(config.sources).flatMap((s) => (isWriteKeySource(s) ? s.content_encodings : [])))];
}

const corsByConfig = new WeakMap<GatewayConfig, MiddlewareHandler>();

/** Browsers (analytics.js) post from the sites' origins: the union of the write-key sources' CORS origins. */
async function trackingCors(c: Context<AppEnv>, next: () => Promise<void>) {
  let handler = corsByConfig.get(c.get("config"));
  if (!handler) {
    const origins = [
      ...new Set(
        Object.values(c.get("config").sources).flatMap((s) => (isWriteKeySource(s) ? (s.cors?.origins ?? []) : [])),
      ),
    ];
    handler = origins.length
      ? cors({
          origin: origins.includes("*") ? "*" : origins,
          allowMethods: ["POST", "OPTIONS"],
          allowHeaders: [],
          maxAge: 86_400,
        })
      : async (_c, next) => next();
    corsByConfig.set(c.get("config"), handler);
  }
  return handler(c, next);
}

function describeEndpoint(path: string, endpoint: Endpoint) {
  const alias = path.length === 1;
  return {
    tags: ["Tracking (Segment)"],
    summary: alias ? `${endpoint} (analytics.js's short path)` : `Segment ${endpoint} call`,
    description:
      "Segment's tracking API. Authenticated by a public write key: `Authorization: Basic base64(writeKey:)` or `writeKey` in the body. " +
      `Events up to ${MAX_EVENT_BYTES} bytes; batches up to ${MAX_BATCH_REQUEST_BYTES} bytes; gzip accepted. JSON as application/json or text/plain. ` +
      "200 once the events are durably accepted; a batch with invalid events accepts the others and lists the refused ones in `rejected`.",
    security: [{ basic: [] }],
    requestBody: jsonBody(endpoint === "batch" ? BatchRequest : EVENT_SCHEMAS[endpoint]),
    responses: responses(
      { 200: { description: "Accepted (Segment's answer)", schema: Accepted } },
      [400, 401, 413, 415, 422, 429, 503],
    ),
  };
}
