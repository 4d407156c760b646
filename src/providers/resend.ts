/**
 * Resend delivers its webhooks through Svix: Standard Webhooks under `svix-` names (./svix-sender).
 * https://resend.com/docs/webhooks/verify-webhooks-requests
 */
import { isoAt, uuid } from "./sample";
import { svixSender } from "./svix-sender";

export const resend = svixSender({
  kind: "resend",
  title: "Resend",
  docs: "https://resend.com/docs/webhooks/verify-webhooks-requests",
  secret: "RESEND_WEBHOOK_SECRET",
  sample: {
    event: "email.delivered",
    body: (event, nowSeconds) =>
      JSON.stringify({
        type: event,
        created_at: isoAt(nowSeconds),
        data: {
          email_id: uuid(),
          from: "Acme <onboarding@resend.dev>",
          to: ["delivered@resend.dev"],
          subject: "Sending this example",
        },
      }),
  },
});
