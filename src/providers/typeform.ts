/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>` with the secret set on
 * the webhook. Nothing time-based is signed; the event id and type are in the signed body.
 * https://www.typeform.com/developers/webhooks/secure-your-webhooks/
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, randomHex } from "./sample";

export const typeform = hmacPreset({
  kind: "typeform",
  title: "Typeform",
  docs: "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
  scheme: { header: "typeform-signature", prefix: "sha256=", encoding: "base64" },
  identify: (_headers, data) => ({ event: field(data, "event_type"), delivery_id: field(data, "event_id") }),
  example: { secret: "TYPEFORM_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "form_response",
    body: (event, nowSeconds) =>
      JSON.stringify({
        event_id: randomHex(13).toUpperCase(),
        event_type: event,
        form_response: {
          form_id: "lT4Z3j",
          token: randomHex(16),
          submitted_at: isoAt(nowSeconds),
          answers: [{ type: "text", text: "It was great", field: { id: "DlXFaesGBpoF", type: "long_text" } }],
        },
      }),
  },
  delivery: "signed_id",
  headers: ["user-agent"],
  description:
    "`Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`; event type and id (`event_type`, `event_id`) from the signed body.",
});
