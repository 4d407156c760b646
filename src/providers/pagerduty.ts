/**
 * PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the
 * body with the subscription's secret, one `v1` per secret while it is rotated (any may match).
 * https://developer.pagerduty.com/docs/verifying-signatures
 * Nothing time-based is signed. PagerDuty suggests deduplicating on `X-Webhook-Id`, but that
 * header is not signed: the signed `event.id` is used instead. It is as stable across retries
 * (the same event, resent) and, unlike the header, a replay cannot change it.
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, uuid } from "./sample";

export const pagerduty = hmacPreset({
  kind: "pagerduty",
  title: "PagerDuty",
  docs: "https://developer.pagerduty.com/docs/verifying-signatures",
  scheme: { header: "x-pagerduty-signature", separator: ",", entry: "v1=" },
  identify: (_headers, data) => ({
    event: field(data, "event", "event_type"),
    delivery_id: field(data, "event", "id"),
  }),
  example: { secret: "PAGERDUTY_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "incident.triggered",
    body: (event, nowSeconds) =>
      JSON.stringify({
        event: {
          id: uuid(),
          event_type: event,
          resource_type: "incident",
          occurred_at: isoAt(nowSeconds),
          agent: null,
          data: {
            id: "PGR0VU2",
            type: "incident",
            title: "A little bump in the road",
            status: "triggered",
            urgency: "high",
          },
        },
      }),
    headers: () => ({ "x-webhook-id": uuid(), "x-webhook-subscription": "PY1OQGG" }),
  },
  delivery: "signed_id",
  headers: ["x-webhook-id", "x-webhook-subscription", "user-agent"],
  description:
    "`X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>[,v1=…]` (any `v1` may match); event type and id (`event.event_type`, `event.id`) from the signed body. `pagey.ping` test events are enqueued like any other.",
});
