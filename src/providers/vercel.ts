/**
 * Vercel: `x-vercel-signature: <hex HMAC-SHA1 of the body>`, keyed with the webhook's secret
 * (account webhooks) or the integration's client secret (integration webhooks).
 * https://vercel.com/docs/webhooks
 * Nothing but the body is signed and there is no timestamp: the event id and type are in the
 * signed body, so a replay is recognised by its id (within the idempotency window).
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { randomHex } from "./sample";

export const vercel = hmacPreset({
  kind: "vercel",
  title: "Vercel",
  docs: "https://vercel.com/docs/webhooks",
  scheme: { header: "x-vercel-signature", algorithm: "sha1" },
  identify: (_headers, data) => ({ event: field(data, "type"), delivery_id: field(data, "id") }),
  example: { secret: "VERCEL_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "deployment.succeeded",
    body: (event, nowSeconds) =>
      JSON.stringify({
        id: `evt_${randomHex(12)}`,
        type: event,
        createdAt: nowSeconds * 1000,
        region: "iad1",
        payload: {
          deployment: { id: `dpl_${randomHex(12)}`, name: "my-app", url: "my-app-git-main.vercel.app" },
          project: { id: "prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB" },
          target: "production",
        },
      }),
  },
  delivery: "signed_id",
  headers: ["user-agent"],
  description:
    "`x-vercel-signature: <hex HMAC-SHA1 of the body>`, no timestamp; event id and type from the signed body.",
});
