/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…]`, HMAC-SHA256 of `{ts}:{body}`
 * with the notification destination's secret key.
 * https://developer.paddle.com/webhooks/about/signature-verification
 * The tolerance is Paddle's own (its SDK's default, 5 s), checked both ways: Paddle's SDK
 * checks only the past, and only its last `h1`; here any `h1` may match (several are sent while
 * a secret is rotated). The event id and type are in the signed body.
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, randomHex } from "./sample";

/** Paddle's documented replay window ("a five-second timestamp tolerance by default"). */
const TOLERANCE_SECONDS = 5;

export const paddle = hmacPreset({
  kind: "paddle",
  title: "Paddle",
  docs: "https://developer.paddle.com/webhooks/about/signature-verification",
  scheme: {
    header: "paddle-signature",
    separator: ";",
    entry: "h1=",
    timestamp_entry: "ts=",
    template: "{timestamp}:{body}",
    tolerance_seconds: TOLERANCE_SECONDS,
  },
  identify: (_headers, data) => ({ event: field(data, "event_type"), delivery_id: field(data, "event_id") }),
  example: { secret: "PADDLE_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "transaction.completed",
    body: (event, nowSeconds) =>
      JSON.stringify({
        event_id: `evt_${randomHex(13)}`,
        event_type: event,
        occurred_at: isoAt(nowSeconds),
        notification_id: `ntf_${randomHex(13)}`,
        data: { id: `txn_${randomHex(13)}`, status: "completed", currency_code: "USD", origin: "web" },
      }),
  },
  delivery: "signed_id",
  headers: ["user-agent"],
  description: `\`Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256 of {ts}:{body}>\` (any \`h1\` may match), within ${TOLERANCE_SECONDS} s either way (\`tolerance_seconds\`); event type and id (\`event_type\`, \`event_id\`) from the signed body.`,
});
