/**
 * What the gateway knows about a delivery beyond its payload: the provider's event type and
 * delivery id, and which request headers may be copied into the message. Auth and signature
 * headers are never copied, whatever a source's allowlist says.
 */
import { standardHeaders } from "../verify/standard";
import type { Item } from "./parse";
import type { SourceConfig } from "./source-schema";

export interface Description {
  event: string | null;
  delivery_id: string | null;
}

const DEFAULT_HEADERS: Record<SourceConfig["auth"]["kind"], string[]> = {
  github: [
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-type",
    "x-github-hook-installation-target-id",
    "user-agent",
  ],
  stripe: ["user-agent"],
  slack: ["x-slack-retry-num", "x-slack-retry-reason", "x-slack-request-timestamp"],
  shopify: ["x-shopify-topic", "x-shopify-webhook-id", "x-shopify-shop-domain", "x-shopify-api-version", "x-shopify-event-id", "x-shopify-triggered-at"],
  twilio: ["i-twilio-idempotency-token", "user-agent"],
  standard: ["webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"],
  hmac: [],
  key: ["user-agent"],
  basic: ["user-agent"],
  none: ["user-agent", "referer", "origin"],
};

/** Credentials and signatures: never forwarded into a message. */
const NEVER = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "x-hub-signature",
  "x-hub-signature-256",
  "stripe-signature",
  "x-slack-signature",
  "x-shopify-hmac-sha256",
  "x-twilio-signature",
  "webhook-signature",
  "svix-signature",
  "cf-turnstile-response",
]);

const allowlists = new WeakMap<SourceConfig, string[]>();

/** The header names a source copies into envelope messages (computed once per source). */
export function headerAllowlist(source: SourceConfig): string[] {
  let list = allowlists.get(source);
  if (!list) {
    list = computeAllowlist(source);
    allowlists.set(source, list);
  }
  return list;
}

function computeAllowlist(source: SourceConfig): string[] {
  const secretHeaders = new Set<string>();
  if (source.auth.kind === "hmac") secretHeaders.add(source.auth.header.toLowerCase());
  if (source.auth.kind === "key" && source.auth.header) secretHeaders.add(source.auth.header.toLowerCase());
  return [...new Set([...DEFAULT_HEADERS[source.auth.kind], ...source.headers])].filter((h) => !NEVER.has(h) && !secretHeaders.has(h));
}

export function pickHeaders(headers: Headers, allowlist: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of allowlist) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

const field = (data: unknown, ...path: string[]): string | null => {
  let value: unknown = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
};

/** Provider event type and delivery id; the client's Idempotency-Key is the fallback id. */
export function describe(source: SourceConfig, headers: Headers, item: Item): Description {
  const data = item.data;
  const provider = providerDescription(source, headers, data);
  const event = provider.event ?? (source.event_field ? field(data, source.event_field) : null);
  return { event, delivery_id: provider.delivery_id ?? headers.get("idempotency-key") };
}

function providerDescription(source: SourceConfig, headers: Headers, data: unknown): Description {
  switch (source.auth.kind) {
    case "github":
      return { event: headers.get("x-github-event"), delivery_id: headers.get("x-github-delivery") };
    case "stripe":
      return { event: field(data, "type"), delivery_id: field(data, "id") };
    case "slack": {
      const payload = slackPayload(data);
      return {
        event: field(payload, "event", "type") ?? field(payload, "type") ?? field(payload, "command"),
        delivery_id: field(payload, "event_id") ?? field(payload, "trigger_id"),
      };
    }
    case "shopify":
      return { event: headers.get("x-shopify-topic"), delivery_id: headers.get("x-shopify-webhook-id") };
    case "twilio":
      return { event: null, delivery_id: headers.get("i-twilio-idempotency-token") };
    case "standard":
      return { event: field(data, "type"), delivery_id: standardHeaders(headers).id };
    case "hmac":
    case "key":
    case "basic":
    case "none":
      return { event: null, delivery_id: null };
  }
}

/** Slack interactive posts are forms whose `payload` field holds the JSON. */
function slackPayload(data: unknown): unknown {
  const payload = field(data, "payload");
  if (payload === null) return data;
  try {
    return JSON.parse(payload);
  } catch {
    return data;
  }
}
