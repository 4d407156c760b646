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
 *    a window on (off by default).
 * The key is a SHA-256 over the whole id (never truncated); the payload's hash is remembered
 * with it, so reusing an id with another payload is a conflict, not a silent duplicate.
 */
import type { Delivery } from "../buffer/types";
import { toHex } from "../encoding";
import type { SourceConfig } from "./source-schema";

export type DeliveryBasis = "signed_id" | "caller_id" | "signed_body" | "anonymous_id";

const BASIS: Record<SourceConfig["auth"]["kind"], DeliveryBasis> = {
  stripe: "signed_id",
  slack: "signed_id",
  standard: "signed_id",
  github: "signed_body",
  shopify: "signed_body",
  twilio: "signed_body",
  hmac: "signed_body",
  key: "caller_id",
  basic: "caller_id",
  none: "anonymous_id",
};

export function deliveryBasis(source: SourceConfig): DeliveryBasis {
  return BASIS[source.auth.kind];
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
  return { key, scope: request.sourceName, payload_hash: payloadHash, window_seconds: window };
}
