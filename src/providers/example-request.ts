/**
 * A provider's sample delivery or handshake, signed: the request its sender would make to a
 * source. The CLI sends these and the signers test checks them against the verifiers, so both go
 * through this one path (the public URL a provider signs included).
 */
import { signedUrl } from "../lib/url";
import type { Credentials, Provider } from "./provider";
import { JSON_TYPE, randomHex } from "./sample";

/** Bytes of the random challenge a handshake carries. */
const CHALLENGE_BYTES = 16;

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** A source's `auth`, as far as building its requests goes. */
export type SourceAuthLike = { kind: string; public_base_url?: string };

export interface DeliveryOptions {
  /** Where the request goes: the source's `/ingest/<source>` URL on the gateway called. */
  target: URL;
  /** The event to build; the sample's own when undefined. */
  event?: string | null;
  /** A body instead of the sample's, in its content type. */
  body?: string;
  nowSeconds: number;
}

export async function signedDelivery(
  provider: Provider,
  auth: SourceAuthLike,
  credentials: Credentials,
  options: DeliveryOptions,
): Promise<OutgoingRequest> {
  const { sample } = provider;
  if (!sample) throw new TypeError(`${provider.title} has no example to send`);
  const event = options.event === undefined ? sample.event : options.event;
  const headers = { "content-type": sample.contentType ?? JSON_TYPE, ...sample.headers?.(event) };
  const body = options.body ?? sample.body(event, options.nowSeconds);
  return sign(provider, auth, credentials, { method: "POST", url: options.target, headers, body }, options.nowSeconds);
}

/** The provider's endpoint check, with the random challenge it carries. */
export async function handshakeRequest(
  provider: Provider,
  auth: SourceAuthLike,
  credentials: Credentials,
  options: Omit<DeliveryOptions, "event" | "body">,
): Promise<OutgoingRequest & { challenge: string }> {
  const handshake = provider.handshakeSample;
  if (!handshake) throw new TypeError(`${provider.title} has no handshake`);
  const challenge = randomHex(CHALLENGE_BYTES);
  const url = new URL(options.target);
  for (const [name, value] of Object.entries(handshake.query?.(challenge, credentials) ?? {}))
    url.searchParams.set(name, value);
  const contentType = handshake.contentType ?? (handshake.body ? JSON_TYPE : undefined);
  const headers = { ...(contentType && { "content-type": contentType }), ...handshake.headers?.() };
  if (!handshake.body)
    return { method: handshake.method, url, headers, ...(handshake.method === "POST" && { body: "" }), challenge };
  const request = { method: handshake.method, url, headers, body: handshake.body(challenge, options.nowSeconds) };
  return { ...(await sign(provider, auth, credentials, request, options.nowSeconds)), challenge };
}

async function sign(
  provider: Provider,
  auth: SourceAuthLike,
  credentials: Credentials,
  request: Required<OutgoingRequest>,
  nowSeconds: number,
): Promise<OutgoingRequest> {
  if (!provider.sign) throw new TypeError(`${provider.title} has no signer`);
  // The provider signs the URL it was given (the source's public one), not the gateway's address here.
  const url = signedUrl(request.url.href, auth.public_base_url);
  const signed = await provider.sign(auth, credentials, { ...request, url, nowSeconds });
  const sendTo = new URL(request.url);
  if (signed.url) sendTo.search = signed.url.search;
  return {
    method: request.method,
    url: sendTo,
    headers: { ...request.headers, ...signed.headers },
    body: signed.body ?? request.body,
  };
}
