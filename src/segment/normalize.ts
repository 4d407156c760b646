/**
 * A Segment event as one queue message: the gateway envelope (`id`, `source`, `received_at`,
 * `delivery_id` = the messageId, `event` = the track event's name or the call type, `type`,
 * `content_type`, `headers`), the clock-skew-corrected `timestamp` with the values it came from,
 * the batch's shared `context`/`integrations` when it had them, and `data`: the event's text,
 * spliced in byte for byte as the client sent it.
 */
import type { EnvelopeMeta, Normalized } from "../ingest/normalize";
import { newMessageId } from "../lib/ids";
import type { ValidEvent } from "./parse";

export interface TrackingMeta extends Pick<EnvelopeMeta, "source" | "headers"> {
  received_ms: number;
  /** The source's delay for every message, if it sets one. */
  delay_seconds: number | undefined;
  /** The batch's sentAt, for events without their own. */
  sent_at: string | null;
  shared: { context?: string; integrations?: string };
}

/**
 * Segment's clock-skew correction: a device's clock may be off, but the time between its
 * `timestamp` and its `sentAt` is not, so timestamp = receivedAt − (sentAt − timestamp). Without
 * sentAt the timestamp stands; without a timestamp, the time the gateway received it.
 */
export function correctedTimestamp(
  receivedMs: number,
  timestamp: string | null | undefined,
  sentAt: string | null | undefined,
): string {
  const at = timestamp ? Date.parse(timestamp) : Number.NaN;
  if (!Number.isFinite(at)) return new Date(receivedMs).toISOString();
  const sent = sentAt ? Date.parse(sentAt) : Number.NaN;
  const corrected = Number.isFinite(sent) ? receivedMs - (sent - at) : at;
  const date = new Date(corrected);
  return Number.isFinite(date.getTime()) ? date.toISOString() : new Date(receivedMs).toISOString();
}

export function trackingMessage(event: ValidEvent, meta: TrackingMeta): Normalized {
  const id = newMessageId();
  const data = event.data;
  const sentAt = data.sentAt ?? meta.sent_at;
  const head = JSON.stringify({
    id,
    source: meta.source,
    received_at: new Date(meta.received_ms).toISOString(),
    delivery_id: data.messageId ?? null,
    event: event.type === "track" ? String(data.event) : event.type,
    type: event.type,
    timestamp: correctedTimestamp(meta.received_ms, data.timestamp, sentAt),
    original_timestamp: data.timestamp ?? null,
    sent_at: sentAt ?? null,
    content_type: "application/json",
    headers: meta.headers,
  });
  const shared = Object.entries(meta.shared).flatMap(([name, text]) =>
    text === undefined ? [] : [`"${name}":${text}`],
  );
  // Spliced as text: head is `{…}`, so drop its `}` and append.
  const batch = shared.length ? `,"batch":{${shared.join(",")}}` : "";
  const delay = meta.delay_seconds === undefined ? {} : { delay_seconds: meta.delay_seconds };
  return {
    id,
    message: { body: `${head.slice(0, -1)}${batch},"data":${event.text}}`, content_type: "json", ...delay },
  };
}

/** Fields a client's retry may change while the event stays the same: when it was sent, how it authenticated, delivery metadata. */
const TRANSPORT_FIELDS = new Set(["sentAt", "writeKey", "_metadata"]);

/** What must be equal for a repeated messageId to be a duplicate rather than a conflict: the event without its transport fields. */
export function eventFingerprint(data: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(data).filter(([name]) => !TRANSPORT_FIELDS.has(name))));
}
