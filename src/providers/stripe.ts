/**
 * Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…][,v0=…]` over `{t}.{body}`, HMAC-SHA256 keyed
 * with the whole `whsec_…` string. Only v1 counts; any v1 may match (Stripe sends several while a
 * secret is rolled). The event id and type are in the signed body.
 * https://docs.stripe.com/webhooks#verify-manually
 */

import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { randomHex } from "./sample";

export const stripe = hmacPreset({
  kind: "stripe",
  title: "Stripe",
  docs: "https://docs.stripe.com/webhooks#verify-manually",
  scheme: {
    header: "stripe-signature",
    separator: ",",
    entry: "v1=",
    timestamp_entry: "t=",
    template: "{timestamp}.{body}",
  },
  identify: (_headers, data) => ({ event: field(data, "type"), delivery_id: field(data, "id") }),
  example: { secret: "STRIPE_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "payment_intent.succeeded",
    body: (event, nowSeconds) =>
      JSON.stringify({
        id: `evt_${randomHex(12)}`,
        object: "event",
        api_version: "2025-06-30.basil",
        created: nowSeconds,
        type: event,
        livemode: false,
        pending_webhooks: 1,
        data: {
          object: {
            id: `pi_${randomHex(12)}`,
            object: "payment_intent",
            amount: 2000,
            currency: "usd",
            status: "succeeded",
          },
        },
      }),
    headers: () => ({ "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" }),
  },
  delivery: "signed_id",
  headers: ["user-agent"],
  description:
    "`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, within 300 s either way; event id and type from the signed body.",
});
