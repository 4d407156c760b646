/**
 * A tracking API body, read into its events: each with its exact source text (carried as sent)
 * and its parsed value (validated), plus what a batch says for all of them (sentAt, context,
 * integrations, writeKey). Then each event is validated against its call's schema and Segment's
 * size limit; the invalid ones are reported by position, never by content.
 */
import { duplicateKeyPath } from "../ingest/json-duplicates";
import { splitJsonArray } from "../ingest/json-split";
import { type FieldIssue, fail, type Result, success } from "../lib/result";
import { utf8Length } from "../queues/limits";
import { memberText } from "./json-text";
import { BatchElement, BatchRequest, type CallType, type Endpoint, EVENT_SCHEMAS } from "./schemas";

/** Segment: 32 KB per event. Its clients count 1 KB as 1024 bytes, so the gateway does too. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Segment: 500 KB per batch request (compressed or not: the inflated body is held to it too). */
export const MAX_BATCH_REQUEST_BYTES = 500 * 1024;

export interface RawEvent {
  /** Position in the batch (0 for the single-event endpoints). */
  index: number;
  text: string;
  data: unknown;
}

export interface TrackingRequest {
  endpoint: Endpoint;
  events: RawEvent[];
  /** The batch's sentAt, for events without their own. */
  sentAt: string | null;
  /** The write key in the body (analytics.js), if any. */
  writeKey: string | undefined;
  /** The batch's `context` and `integrations`, as sent, for every event's envelope. */
  shared: { context?: string; integrations?: string };
}

export interface ValidEvent extends RawEvent {
  type: CallType;
  data: Record<string, unknown> & {
    messageId?: string;
    userId?: unknown;
    anonymousId?: unknown;
    timestamp?: string | null;
    sentAt?: string | null;
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The request's events; a body that is not one JSON object of this endpoint's shape is refused whole. */
export function parseRequest(bytes: Uint8Array, endpoint: Endpoint): Result<TrackingRequest> {
  let text: string;
  try {
    text = utf8.decode(bytes).trim();
  } catch {
    return fail({ reason: "bad_utf8" });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // V8's message quotes the input: nothing a client sent is echoed.
    return fail({ reason: "malformed_json", detail: "" });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return fail({ reason: "malformed_body", detail: "Body must be a JSON object" });
  // The events are validated as JSON.parse reads them and forwarded as text: both must mean the same.
  const duplicate = duplicateKeyPath(text);
  if (duplicate) return fail({ reason: "duplicate_json_key", path: duplicate });
  const body = data as Record<string, unknown>;
  if (endpoint !== "batch") {
    const writeKey = typeof body.writeKey === "string" ? body.writeKey : undefined;
    return success({ endpoint, events: [{ index: 0, text, data }], sentAt: null, writeKey, shared: {} });
  }
  const batch = BatchRequest.safeParse(data);
  if (!batch.success) return fail({ reason: "validation_failed", issues: issuesOf(batch.error.issues, []) });
  const texts = splitJsonArray(memberText(text, "batch") ?? "[]");
  const shared: TrackingRequest["shared"] = {};
  for (const name of ["context", "integrations"] as const) {
    if (batch.data[name]) shared[name] = memberText(text, name);
  }
  return success({
    endpoint,
    events: batch.data.batch.map((event, index) => ({
      index,
      text: texts[index] ?? JSON.stringify(event),
      data: event,
    })),
    sentAt: batch.data.sentAt ?? null,
    writeKey: batch.data.writeKey,
    shared,
  });
}

export type Checked = { ok: true; event: ValidEvent } | { ok: false; index: number; issues: FieldIssue[] };

/** One event against Segment's size limit and its call's schema. Paths start at the event (["batch", i, …] in a batch). */
export function checkEvent(event: RawEvent, endpoint: Endpoint): Checked {
  const at = endpoint === "batch" ? ["batch", event.index] : [];
  const refuse = (issues: FieldIssue[]): Checked => ({ ok: false, index: event.index, issues });
  const bytes = utf8Length(event.text);
  if (bytes > MAX_EVENT_BYTES)
    return refuse([{ path: at, message: `event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` }]);
  let type: CallType;
  if (endpoint === "batch") {
    const element = BatchElement.safeParse(event.data);
    if (!element.success) return refuse(issuesOf(element.error.issues, at));
    type = element.data.type;
  } else {
    type = endpoint;
    const declared = (event.data as { type?: unknown }).type;
    if (declared !== undefined && declared !== type)
      return refuse([{ path: ["type"], message: `must be "${type}" at this endpoint, or absent` }]);
  }
  const parsed = EVENT_SCHEMAS[type].safeParse(event.data);
  if (!parsed.success) return refuse(issuesOf(parsed.error.issues, at));
  return { ok: true, event: { ...event, type, data: event.data as ValidEvent["data"] } };
}

function issuesOf(issues: readonly { path: PropertyKey[]; message: string }[], at: (string | number)[]): FieldIssue[] {
  return issues.map((issue) => ({
    path: [...at, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    message: issue.message,
  }));
}
