/**
 * Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` keyed with the app's client
 * secret. Nothing time-based is signed; the topic and notification id are in the signed body.
 * https://developers.intercom.com/docs/webhooks/setting-up-webhooks (signing: "Signed notifications",
 * https://developers.intercom.com/intercom-api-reference/v1.0/reference/signed-notifications)
 * Saving an endpoint, Intercom validates the URL with an unsigned HEAD request (no body, nothing
 * to enqueue): it is answered 200 before any verification.
 */
import { hmacPreset } from "./hmac-preset";
import { defineProvider, field, text } from "./provider";
import { randomHex } from "./sample";

const preset = hmacPreset({
  kind: "intercom",
  title: "Intercom",
  docs: "https://developers.intercom.com/docs/webhooks/setting-up-webhooks",
  scheme: { header: "x-hub-signature", prefix: "sha1=", algorithm: "sha1" },
  identify: (_headers, data) => ({ event: field(data, "topic"), delivery_id: field(data, "id") }),
  example: { secret: "INTERCOM_CLIENT_SECRET", accept: ["json"] },
  sample: {
    event: "conversation.user.created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        type: "notification_event",
        app_id: "abc123",
        data: { type: "notification_event_data", item: { type: "conversation", id: String(nowSeconds) } },
        id: `notif_${randomHex(16)}`,
        topic: event,
        delivery_status: "pending",
        delivery_attempts: 1,
        created_at: nowSeconds,
        first_sent_at: nowSeconds,
      }),
  },
  // Saving an endpoint, Intercom sends an unsigned HEAD.
  handshakeSample: { name: "URL validation (HEAD)", method: "HEAD" },
  delivery: "signed_id",
  headers: ["user-agent"],
  description:
    "`X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` with the app's client secret; topic and id (`topic`, `id`) from the signed body. The URL validation (HEAD) is answered 200.",
});

export const intercom = defineProvider({
  ...preset,
  async challenge(_auth, request) {
    return request.method === "HEAD" ? text("") : undefined;
  },
});
