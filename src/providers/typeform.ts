/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>` with the secret set on
 * the webhook. Nothing time-based is signed; the event id and type are in the signed body.
 * https://www.typeform.com/developers/webhooks/secure-your-webhooks/
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";

export const typeform = hmacPreset({
  kind: "typeform",
  title: "Typeform",
  docs: "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
  scheme: { header: "typeform-signature", prefix: "sha256=", encoding: "base64" },
  identify: (_headers, data) => ({ event: field(data, "event_type"), delivery_id: field(data, "event_id") }),
  example: { secret: "TYPEFORM_WEBHOOK_SECRET", accept: ["json"] },
  delivery: "signed_id",
  headers: ["user-agent"],
  description: "`Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`; event type and id (`event_type`, `event_id`) from the signed body.",
});
