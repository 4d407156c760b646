/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` with the app's client
 * secret. https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
 * Topic and webhook id are unsigned headers: repeats are recognised by the signed body.
 */
import { hmacPreset } from "./hmac-preset";
import { isoAt, randomInt, uuid } from "./sample";

export const shopify = hmacPreset({
  kind: "shopify",
  title: "Shopify",
  docs: "https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook",
  scheme: { header: "x-shopify-hmac-sha256", encoding: "base64" },
  identify: (headers) => ({ event: headers.get("x-shopify-topic"), delivery_id: headers.get("x-shopify-webhook-id") }),
  example: { secret: "SHOPIFY_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "orders/create",
    body: (_event, nowSeconds) =>
      JSON.stringify({
        id: randomInt(),
        name: "#1001",
        email: "jon@example.com",
        created_at: isoAt(nowSeconds),
        currency: "USD",
        total_price: "10.00",
      }),
    headers: (event) => ({
      "x-shopify-topic": event ?? "orders/create",
      "x-shopify-webhook-id": uuid(),
      "x-shopify-event-id": uuid(),
      "x-shopify-shop-domain": "example.myshopify.com",
      "x-shopify-api-version": "2025-07",
    }),
  },
  delivery: "signed_body",
  headers: [
    "x-shopify-topic",
    "x-shopify-webhook-id",
    "x-shopify-shop-domain",
    "x-shopify-api-version",
    "x-shopify-event-id",
    "x-shopify-triggered-at",
  ],
  description:
    "`X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`. Topic (`X-Shopify-Topic`) and webhook id are unsigned headers; repeats are recognised by the signed body.",
});
