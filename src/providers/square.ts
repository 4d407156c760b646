/**
 * Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of notification URL + body>` with
 * the subscription's signature key. The notification URL is the public one Square posts to
 * (`public_base_url` + the path), never the request's Host. Nothing time-based is signed; the
 * event id and type are in the signed body. The legacy SHA-1 header is never forwarded.
 * https://developer.squareup.com/docs/webhooks/step3validate
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, uuid } from "./sample";

export const square = hmacPreset({
  kind: "square",
  title: "Square",
  docs: "https://developer.squareup.com/docs/webhooks/step3validate",
  scheme: { header: "x-square-hmacsha256-signature", encoding: "base64", template: "{url}{body}" },
  signsUrl: true,
  identify: (_headers, data) => ({ event: field(data, "type"), delivery_id: field(data, "event_id") }),
  example: { secret: "SQUARE_SIGNATURE_KEY", accept: ["json"] },
  sample: {
    event: "payment.created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        merchant_id: "6SSW7HV8K2ST5",
        type: event,
        event_id: uuid(),
        created_at: isoAt(nowSeconds),
        data: {
          type: "payment",
          id: "KkAkhdMsgzn59SM8A89WgKwekxLZY",
          object: { payment: { amount_money: { amount: 100, currency: "USD" }, status: "APPROVED" } },
        },
      }),
    headers: () => ({ "square-environment": "Sandbox" }),
  },
  delivery: "signed_id",
  headers: [
    "square-environment",
    "square-retry-number",
    "square-retry-reason",
    "square-initial-delivery-timestamp",
    "user-agent",
  ],
  secretHeaders: ["x-square-signature"],
  description:
    "`x-square-hmacsha256-signature: <base64 HMAC-SHA256 of the notification URL (public_base_url + path) + body>`; event type and id (`type`, `event_id`) from the signed body.",
});
