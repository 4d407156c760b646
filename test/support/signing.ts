/**
 * Builders of signed ingest requests. Where the provider publishes a signing library, it signs
 * (octokit's webhooks-methods, stripe, standardwebhooks); the others are signed with node:crypto,
 * independently of the gateway's WebCrypto code.
 */
import { env, SELF } from "cloudflare:test";
import { createHash, createHmac } from "node:crypto";
import { sign as signGitHub } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { loadConfig } from "../../src/config/load";
import { GATEWAY } from "./api";
import { DEV_SECRET, STANDARD_DEV_SECRET } from "./constants";

export const now = () => Math.floor(Date.now() / 1000);

export interface Signed {
  body?: string;
  secret?: string;
  /** Unix seconds the signature claims. */
  at?: number;
  headers?: Record<string, string>;
  contentType?: string;
  source?: string;
}

export function ingest(
  source: string,
  body: BodyInit | undefined,
  headers: Record<string, string> = {},
  query = "",
): Promise<Response> {
  return SELF.fetch(`${GATEWAY}/ingest/${source}${query}`, { method: "POST", headers, body, redirect: "manual" });
}

export async function signedGitHubRequest({
  body = '{"action":"opened"}',
  secret = DEV_SECRET,
  headers = {},
  source = "github",
}: Signed = {}) {
  return ingest(source, body, {
    "content-type": "application/json",
    "x-github-event": "issues",
    "x-github-delivery": crypto.randomUUID(),
    "x-hub-signature-256": await signGitHub(secret, body),
    ...headers,
  });
}

const stripe = new Stripe("sk_test_unused");

export async function signedStripeRequest({
  body = stripeEvent(),
  secret = DEV_SECRET,
  at = now(),
  headers = {},
}: Signed = {}) {
  const signature = await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret, timestamp: at });
  return ingest("stripe", body, { "content-type": "application/json", "stripe-signature": signature, ...headers });
}

export const stripeEvent = (id = `evt_${crypto.randomUUID().replaceAll("-", "")}`, type = "payment_intent.succeeded") =>
  JSON.stringify({ id, object: "event", type, data: { object: { id: "pi_1", amount: 2000 } } });

export function slackSignature(secret: string, at: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${at}:${body}`).digest("hex")}`;
}

export function signedSlackRequest({
  body = '{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}',
  secret = DEV_SECRET,
  at = now(),
  headers = {},
  contentType = "application/json",
}: Signed = {}) {
  return ingest("slack", body, {
    "content-type": contentType,
    "x-slack-request-timestamp": String(at),
    "x-slack-signature": slackSignature(secret, at, body),
    ...headers,
  });
}

export function signedShopifyRequest({
  body = '{"id":820982911946154508,"name":"#1001"}',
  secret = DEV_SECRET,
  headers = {},
}: Signed = {}) {
  return ingest("shopify", body, {
    "content-type": "application/json",
    "x-shopify-topic": "orders/create",
    "x-shopify-webhook-id": crypto.randomUUID(),
    "x-shopify-hmac-sha256": createHmac("sha256", secret).update(body).digest("base64"),
    ...headers,
  });
}

/** Twilio's scheme: URL + params sorted by name, HMAC-SHA1, base64. */
export function twilioSignature(token: string, url: string, params: Record<string, string> = {}): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join("");
  return createHmac("sha1", token).update(data).digest("base64");
}

/**
 * The public base URL the gateway verifies a Twilio source's signatures against (its configured
 * `public_base_url`). Requests still go to GATEWAY: the gateway must not trust the Host header.
 */
export function twilioPublicBase(source = "twilio"): string {
  const auth = loadConfig(env).sources[source]?.auth;
  if (auth?.kind !== "twilio") throw new Error(`${source} is not a twilio source`);
  return auth.public_base_url.replace(/\/+$/, "");
}

interface TwilioSigned extends Signed {
  /** The base URL the sender signs for; the source's public base URL unless a test forges another. */
  base?: string;
}

export function signedTwilioForm(
  params: Record<string, string>,
  { secret = DEV_SECRET, source = "twilio", base, headers = {} }: TwilioSigned = {},
) {
  const url = `${base ?? twilioPublicBase(source)}/ingest/${source}`;
  return ingest(source, new URLSearchParams(params).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": twilioSignature(secret, url, params),
    ...headers,
  });
}

export function signedTwilioJson(body: string, { secret = DEV_SECRET, source = "twilio", base }: TwilioSigned = {}) {
  const query = `?bodySHA256=${createHash("sha256").update(body).digest("hex")}`;
  const url = `${base ?? twilioPublicBase(source)}/ingest/${source}${query}`;
  return ingest(
    source,
    body,
    { "content-type": "application/json", "x-twilio-signature": twilioSignature(secret, url) },
    query,
  );
}

export function signedStandardRequest(
  {
    body = '{"type":"user.created","data":{"id":1}}',
    secret = STANDARD_DEV_SECRET,
    at = now(),
    headers = {},
  }: Signed & { id?: string } = {},
  id = `msg_${crypto.randomUUID()}`,
) {
  const signature = new Webhook(secret).sign(id, new Date(at * 1000), body);
  return ingest("standard", body, {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(at),
    "webhook-signature": signature,
    ...headers,
  });
}

export function signedHmacRequest({
  body = '{"kind":"ping"}',
  secret = DEV_SECRET,
  at = now(),
  headers = {},
  contentType = "application/json",
}: Signed = {}) {
  const signature = `sha256=${createHmac("sha256", secret).update(`${at}.${body}`).digest("hex")}`;
  return ingest("hmac", body, {
    "content-type": contentType,
    "x-timestamp": String(at),
    "x-signature": signature,
    "x-event-type": "ping",
    ...headers,
  });
}

export function appRequest(body: string, headers: Record<string, string> = {}, key = "local-dev-key") {
  return ingest("app", body, { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers });
}
