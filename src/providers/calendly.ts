/**
 * Calendly: `Calendly-Webhook-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of `{t}.{body}` with
 * the subscription's signing key. Calendly's sample code refuses timestamps older than three
 * minutes; we refuse future ones too.
 * https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures
 * The event name (`event`) is in the signed body; there is no delivery id, header or field, so
 * repeats are recognised by the signed body (a retry re-signs the same body with a new `t`).
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, uuid } from "./sample";

/** Calendly's sample code: `const threeMinutes = 180000`. */
const TOLERANCE_SECONDS = 180;

export const calendly = hmacPreset({
  kind: "calendly",
  title: "Calendly",
  docs: "https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures",
  scheme: {
    header: "calendly-webhook-signature",
    separator: ",",
    entry: "v1=",
    timestamp_entry: "t=",
    template: "{timestamp}.{body}",
    tolerance_seconds: TOLERANCE_SECONDS,
  },
  identify: (_headers, data) => ({ event: field(data, "event"), delivery_id: null }),
  example: { secret: "CALENDLY_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "invitee.created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        event,
        created_at: isoAt(nowSeconds),
        created_by: "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
        payload: {
          uri: `https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/${uuid()}`,
          email: "test@example.com",
          name: "John Doe",
          status: "active",
        },
      }),
  },
  delivery: "signed_body",
  headers: ["user-agent"],
  description:
    "`Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, within 180 s either way; event from the signed body (`event`). No delivery id: repeats are recognised by the signed body.",
});
