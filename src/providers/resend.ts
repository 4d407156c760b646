/**
 * Resend: webhooks delivered by Svix, so Standard Webhooks under `svix-` header names:
 * `svix-signature: v1,<base64>` over `{svix-id}.{svix-timestamp}.{body}`, keyed with the
 * base64-decoded `whsec_…` signing secret, within 300 s either way. The verifier, the identity
 * (`type`; the signed `svix-id`), the auth options and their checks are Standard Webhooks' own
 * (./standard): only the name, the docs and the development secret differ.
 * https://resend.com/docs/webhooks/verify-webhooks-requests
 */
import * as z from "zod";
import { defineProvider } from "./provider";
import { isoAt, uuid } from "./sample";
import { StandardAuth, signStandard, standard } from "./standard";

/** Standard Webhooks' options, checked by its own schema, under this kind. */
export const ResendAuth = z.object({ ...StandardAuth.shape, kind: z.literal("resend") }).superRefine((auth, ctx) => {
  for (const issue of StandardAuth.safeParse(asStandard(auth)).error?.issues ?? []) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});
export type ResendAuth = z.infer<typeof ResendAuth>;

function asStandard(auth: Omit<ResendAuth, "kind">): StandardAuth {
  return { ...auth, kind: "standard" };
}

export const resend = defineProvider<ResendAuth>({
  kind: "resend",
  title: "Resend",
  docs: "https://resend.com/docs/webhooks/verify-webhooks-requests",
  auth: ResendAuth,
  secretFields: standard.secretFields,
  readsBody: true,
  verify: (auth, input, context) => standard.verify(asStandard(auth), input, context),
  identify: standard.identify,
  delivery: standard.delivery,
  headers: standard.headers,
  secretHeaders: (auth) => standard.secretHeaders(asStandard(auth)),
  example: { auth: { kind: "resend", secret: "RESEND_WEBHOOK_SECRET" }, accept: ["json"] },
  sign: signStandard("svix"),
  publicKeys: standard.publicKeys,
  sample: {
    event: "email.delivered",
    body: (event, nowSeconds) =>
      JSON.stringify({
        type: event,
        created_at: isoAt(nowSeconds),
        data: { email_id: uuid(), from: "Acme <onboarding@resend.dev>", to: ["delivered@resend.dev"], subject: "Sending this example" },
      }),
  },
  openapi: {
    description:
      "Resend (https://resend.com/docs/webhooks/verify-webhooks-requests), signed by Svix: `svix-id`, `svix-timestamp`, `svix-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` keyed with the decoded `whsec_` secret, within 300 s either way; event from the signed body (`type`), delivery id the signed `svix-id`.",
    security: () => ({ type: "apiKey", header: "svix-signature" }),
  },
});
