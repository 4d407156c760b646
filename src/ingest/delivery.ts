/**
 * What makes two requests "the same delivery", for deduplication. A delivery id only means
 * something within the party that chose it, and only protects against replays if an attacker
 * cannot choose it:
 *  - the provider's id comes from signed data (Stripe's event id, Standard Webhooks' webhook-id,
 *    Slack's event_id): the id, per source;
 *  - the caller is authenticated by a key (key, basic): the id (Idempotency-Key) per caller, so
 *    one app's key cannot shadow another's;
 *  - the provider signs the body but not its id (GitHub, Shopify, Twilio, generic HMAC): the
 *    signed body itself, so a byte-identical replay is a duplicate whatever its headers say;
 *  - nobody is authenticated (auth none): the id per source, and only when the operator turned
 *    a window on (off by default);
 *  - per message (Segment's messageId, src/segment/): each message's id per caller (write key),
 *    so a batch carries one delivery per event and a client's retry repeats only what it resent.
 * The key is a SHA-256 over the whole id (never truncated); the payload's hash is remembered
 * with it, so reusing an id with another payload is a conflict, not a silent duplicate.
 */
import type { Delivery } from "../buffer/types";
import { isWebhookSource, type SourceConfig } from "../config/source-schema";
import { toHex } from "../lib/encoding";
import { providerOf } from "../providers";

export type DeliveryBasis = "signed_id" | "caller_id" | "signed_body" | "anonymous_id";

/** From the source's provider descriptor; write-key sources deduplicate per caller (the write key). */
export function deliveryBasis(source: SourceConfig): DeliveryBasis {
  return isWebhookSource(source) ? providerOf(source.auth).delivery : "caller_id";
}

const encoder = new TextEncoder();
const sha256 = async (data: Uint8Array) => toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));

export interface DeliveryRequest {
  sourceName: string;
  source: SourceConfig;
  /** The authenticated caller (key or user name), for key and basic auth. */
  caller: string | undefined;
  /** The provider's delivery id, or the client's Idempotency-Key. */
  id: string | null;
  body: Uint8Array;
}

/** The delivery to deduplicate, or undefined when this request is not deduplicated. */
export async function deliveryOf(request: DeliveryRequest): Promise<Delivery | undefined> {
  const window = request.source.idempotency_window_seconds;
  if (window <= 0) return undefined;
  const basis = deliveryBasis(request.source);
  const payloadHash = await sha256(request.body);
  let material: string;
  if (basis === "signed_body") material = `body\u0000${payloadHash}`;
  else if (request.id === null) return undefined;
  else if (basis === "caller_id") material = `caller\u0000${request.caller ?? ""}\u0000${request.id}`;
  else material = `id\u0000${request.id}`;
  const key = await sha256(encoder.encode(`${request.sourceName}\u0000${material}`));
  return { key, shard_key: key, payload_hash: payloadHash, window_seconds: window };
}

export interface MessageDeliveriesRequest {
  sourceName: string;
  source: SourceConfig;
  /** The authenticated caller (a write key's name). */
  caller: string;
  /**
   * Each message's own id (Segment's messageId; null: not deduplicated), and what must be equal
   * for a repeat to be a duplicate rather than a conflict.
   */
  messages: { id: string | null; payload: string }[];
}

/**
 * Per-message deliveries: each message of a request identified by its own id, per caller. Their
 * shard key is the caller, so a request's messages, and every repeat of each, meet one shard.
 * Undefined for a message without an id, or when the source does not deduplicate.
 */
export async function messageDeliveriesOf(request: MessageDeliveriesRequest): Promise<(Delivery | undefined)[]> {
  const window = request.source.idempotency_window_seconds;
  if (window <= 0) return request.messages.map(() => undefined);
  const caller = `${request.sourceName}\u0000caller\u0000${request.caller}`;
  const shardKey = await sha256(encoder.encode(caller));
  return Promise.all(
    request.messages.map(async ({ id, payload }) => {
      if (id === null) return undefined;
      return {
        key: await sha256(encoder.encode(`${caller}\u0000message\u0000${id}`)),
        shard_key: shardKey,
        payload_hash: await sha256(encoder.encode(payload)),
        window_seconds: window,
      };
    }),
  );
}
