/**
 * Senders that deliver through Svix (Clerk, Resend, …): Standard Webhooks under `svix-` header
 * names, `svix-signature: v1,<base64>` over `{svix-id}.{svix-timestamp}.{body}`, keyed with the
 * base64-decoded `whsec_…` secret, within 300 s either way. Everything is Standard Webhooks' own
 * (./standard): the verifier, the identity (`type`; the signed `svix-id`), the auth options and
 * their checks. A sender is its name, its docs, its development secret and a sample event.
 */
import * as z from "zod";
import { defineProvider, type Provider, type Sample } from "./provider";
import { StandardAuth, signStandard, standard } from "./standard";

export interface SvixSender<K extends string> {
  kind: K;
  title: string;
  /** The sender's own page on verifying its webhooks. */
  docs: string;
  /** The development secret's variable (.dev.vars.example). */
  secret: string;
  sample: Sample;
}

export type SvixAuth<K extends string> = Omit<StandardAuth, "kind"> & { kind: K };

export function svixSender<K extends string>(sender: SvixSender<K>): Provider<SvixAuth<K>> {
  const asStandard = (auth: Omit<SvixAuth<K>, "kind">): StandardAuth => ({ ...auth, kind: "standard" });
  /** Standard Webhooks' options, checked by its own schema, under this kind. */
  const auth = z.object({ ...StandardAuth.shape, kind: z.literal(sender.kind) }).superRefine((options, ctx) => {
    for (const issue of StandardAuth.safeParse(asStandard(options)).error?.issues ?? [])
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }) as unknown as z.ZodType<SvixAuth<K>>;
  return defineProvider<SvixAuth<K>>({
    kind: sender.kind,
    title: sender.title,
    docs: sender.docs,
    auth,
    secretFields: standard.secretFields,
    readsBody: true,
    verify: (options, input, context) => standard.verify(asStandard(options), input, context),
    identify: standard.identify,
    delivery: standard.delivery,
    headers: standard.headers,
    secretHeaders: standard.secretHeaders,
    example: { auth: { kind: sender.kind, secret: sender.secret }, accept: ["json"] },
    sign: signStandard("svix"),
    publicKeys: standard.publicKeys,
    sample: sender.sample,
    openapi: {
      description: `${sender.title} (${sender.docs}), signed by Svix: \`svix-id\`, \`svix-timestamp\`, \`svix-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>\` keyed with the decoded \`whsec_\` secret, within 300 s either way; event from the signed body (\`type\`), delivery id the signed \`svix-id\`.`,
      security: () => ({ type: "apiKey", header: "svix-signature" }),
    },
  });
}
