/**
 * Twitch EventSub (webhook transport): `Twitch-Eventsub-Message-Signature: sha256=<hex
 * HMAC-SHA256 of id + timestamp + body>` with the subscription's secret, where id and timestamp
 * are the `Twitch-Eventsub-Message-Id` and `-Timestamp` headers (RFC 3339, nanoseconds); Twitch
 * asks to refuse messages older than 10 minutes (checked both ways).
 * https://dev.twitch.tv/docs/eventsub/handling-webhook-events
 *
 * The three parts are concatenated without separators: the timestamp must be strict RFC 3339 (a
 * fixed-width date first, a zone last) so that no other cut of the same signed bytes passes.
 * The message type header is not signed, so messages are told apart by the signed body:
 *  - a `challenge` (webhook_callback_verification) is answered 200 text/plain with it, not enqueued;
 *  - a notification (it has `event`, or `events` when batched) is the event `subscription.type`;
 *  - a revocation (a subscription and no event) is `revocation:<subscription.type>`, so consumers
 *    routing on the type do not mistake the end of a subscription for one of its events.
 * The message id is signed and Twitch resends with the same id: it identifies the delivery.
 */
import { unauthorized } from "../lib/result";
import { hmacPreset } from "./hmac-preset";
import { defineProvider, field, text } from "./provider";
import { isoAt, uuid } from "./sample";

const TOLERANCE_SECONDS = 600;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The headers Twitch sends beside a message of `type` (the timestamp and signature are signed ones). */
function messageHeaders(type: string, subscriptionType: string): Record<string, string> {
  return {
    "twitch-eventsub-message-id": uuid(),
    "twitch-eventsub-message-retry": "0",
    "twitch-eventsub-message-type": type,
    "twitch-eventsub-subscription-type": subscriptionType,
    "twitch-eventsub-subscription-version": "2",
  };
}

function subscription(type: string, nowSeconds: number) {
  return {
    id: uuid(),
    type,
    version: "2",
    cost: 0,
    condition: { broadcaster_user_id: "1337", moderator_user_id: "1337" },
    transport: { method: "webhook", callback: "https://example.com/webhooks/callback" },
    created_at: isoAt(nowSeconds),
  };
}

function twitchEvent(data: unknown): string | null {
  const type = field(data, "subscription", "type");
  if (type === null || typeof data !== "object" || data === null) return null;
  return Object.hasOwn(data, "event") || Object.hasOwn(data, "events") ? type : `revocation:${type}`;
}

const preset = hmacPreset({
  kind: "twitch",
  title: "Twitch EventSub",
  docs: "https://dev.twitch.tv/docs/eventsub/handling-webhook-events",
  scheme: {
    header: "twitch-eventsub-message-signature",
    prefix: "sha256=",
    timestamp_header: "twitch-eventsub-message-timestamp",
    timestamp_format: "iso8601",
    template: "{header:twitch-eventsub-message-id}{timestamp}{body}",
    tolerance_seconds: TOLERANCE_SECONDS,
  },
  identify: (headers, data) => ({ event: twitchEvent(data), delivery_id: headers.get("twitch-eventsub-message-id") }),
  example: { secret: "TWITCH_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "channel.follow",
    body: (event, nowSeconds) =>
      JSON.stringify({
        subscription: { ...subscription(event ?? "channel.follow", nowSeconds), status: "enabled" },
        event: {
          user_id: "1234",
          user_login: "cool_user",
          broadcaster_user_id: "1337",
          broadcaster_user_login: "cooler_user",
          followed_at: isoAt(nowSeconds),
        },
      }),
    headers: (event) => messageHeaders("notification", event ?? "channel.follow"),
  },
  handshakeSample: {
    name: "webhook_callback_verification",
    method: "POST",
    body: (challenge, nowSeconds) =>
      JSON.stringify({
        challenge,
        subscription: {
          ...subscription("channel.follow", nowSeconds),
          status: "webhook_callback_verification_pending",
        },
      }),
    headers: () => messageHeaders("webhook_callback_verification", "channel.follow"),
  },
  delivery: "signed_id",
  headers: [
    "twitch-eventsub-message-id",
    "twitch-eventsub-message-retry",
    "twitch-eventsub-message-type",
    "twitch-eventsub-message-timestamp",
    "twitch-eventsub-subscription-type",
    "twitch-eventsub-subscription-version",
  ],
  description:
    "`Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of id + timestamp + body>` with `Twitch-Eventsub-Message-Id` and `-Timestamp` (RFC 3339), within 600 s either way; the signed message id identifies the delivery. `webhook_callback_verification` is answered 200 text/plain with its challenge and not enqueued; revocations are enqueued as `revocation:<type>`.",
  async handshake(_secrets, data) {
    const challenge = field(data, "challenge");
    return challenge === null ? undefined : text(challenge);
  },
});

export const twitch = defineProvider({
  ...preset,
  async verify(auth, input, context) {
    const timestamp = input.headers.get("twitch-eventsub-message-timestamp");
    if (!input.headers.get("twitch-eventsub-message-id") || (timestamp !== null && !RFC3339.test(timestamp))) {
      return input.headers.has("twitch-eventsub-message-signature")
        ? unauthorized("malformed_signature")
        : unauthorized("missing_signature");
    }
    return preset.verify(auth, input, context);
  },
});
