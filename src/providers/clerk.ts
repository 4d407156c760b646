/**
 * Clerk delivers its webhooks through Svix: Standard Webhooks under `svix-` names (./svix-sender).
 * https://clerk.com/docs/reference/backend/verify-webhook
 */
import { randomHex } from "./sample";
import { svixSender } from "./svix-sender";

export const clerk = svixSender({
  kind: "clerk",
  title: "Clerk",
  docs: "https://clerk.com/docs/reference/backend/verify-webhook",
  secret: "CLERK_WEBHOOK_SECRET",
  sample: {
    event: "user.created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        data: {
          id: `user_${randomHex(12)}`,
          object: "user",
          first_name: "Example",
          email_addresses: [{ email_address: "example@example.org" }],
        },
        instance_id: "ins_123",
        object: "event",
        timestamp: nowSeconds * 1000,
        type: event,
      }),
  },
});
