/**
 * Clerk: webhooks delivered by Svix, so Standard Webhooks under `svix-` header names:
 * `svix-signature: v1,<base64>` over `{svix-id}.{svix-timestamp}.{body}`, keyed with the
 * base64-decoded `whsec_…` signing secret, within 300 s either way. The verifier, the identity
 * (`type`; the signed `svix-id`), the auth options and their checks are Standard Webhooks' own
 * (./standard): only the name, the docs and the development secret differ.
 * https://clerk.com/docs/reference/backend/verify-webhook
 */
import * as z from "zod";
import { defineProvider } from "./provider";
import { randomHex } from "./sample";
import { StandardAuth, signStandard, standard } from "./standard";

/** Standard Webhooks' options, checked by its own schema, under this kind. */
export const ClerkAuth = z.object({ ...StandardAuth.shape, kind: z.literal("clerk") }).superRefine((auth, ctx) => {
  for (const issue of StandardAuth.safeParse(asStandard(auth)).error?.issues ?? []) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});
export type ClerkAuth = z.infer<typeof ClerkAuth>;

function asStandard(auth: Omit<ClerkAuth, "kind">): StandardAuth {
  return { ...auth, kind: "standard" };
}

export const clerk = defineProvider<ClerkAuth>({
  kind: "clerk",
  title: "Clerk",
  docs: "https://clerk.com/docs/reference/backend/verify-webhook",
  auth: ClerkAuth,
  secretFields: standard.secretFields,
  readsBody: true,
  verify: (auth, input, context) => standard.verify(asStandard(auth), input, context),
  identify: standard.identify,
  delivery: standard.delivery,
  headers: standard.headers,
  secretHeaders: (auth) => standard.secretHeaders(asStandard(auth)),
  example: { auth: { kind: "clerk", secret: "CLERK_WEBHOOK_SECRET" }, accept: ["json"] },
  sign: signStandard("svix"),
  publicKeys: standard.publicKeys,
  sample: {
    event: "user.created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        data: { id: `user_${randomHex(12)}`, object: "user", first_name: "Example", email_addresses: [{ email_address: "example@example.org" }] },
        instance_id: "ins_123",
        object: "event",
        timestamp: nowSeconds * 1000,
        type: event,
      }),
  },
  openapi: {
    description:
      "Clerk (https://clerk.com/docs/reference/backend/verify-webhook), signed by Svix: `svix-id`, `svix-timestamp`, `svix-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` keyed with the decoded `whsec_` secret, within 300 s either way; event from the signed body (`type`), delivery id the signed `svix-id`.",
    security: () => ({ type: "apiKey", header: "svix-signature" }),
  },
});
