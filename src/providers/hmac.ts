/**
 * Generic HMAC, for senders without a preset: the declarative scheme of src/verify/scheme.ts
 * (modelled on AWS EventBridge's WebhookHmacAuthConfiguration) in the source's configuration.
 * Delivery ids come from the unsigned `Idempotency-Key`, so repeats are recognised by the
 * signed body.
 */
import { z } from "zod";
import { success } from "../lib/result";
import { SignatureScheme, verifyScheme } from "../verify/scheme";
import { defineProvider, noIdentity, SecretName, SecretValues } from "./provider";

export const HmacAuth = SignatureScheme.extend({ kind: z.literal("hmac"), secret: SecretName, secrets: SecretValues });
export type HmacAuth = z.infer<typeof HmacAuth>;

export const hmac = defineProvider<HmacAuth>({
  kind: "hmac",
  title: "Generic HMAC",
  docs: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-webhooks.html",
  auth: HmacAuth,
  readsBody: true,
  async verify(auth, input) {
    const result = await verifyScheme(auth, auth.secrets, input);
    return result.ok ? success({}) : result;
  },
  identify: () => noIdentity,
  delivery: "signed_body",
  headers: [],
  secretHeaders: (auth) => [auth.header],
  openapi: {
    description:
      "Generic HMAC: a signature header (algorithm, hex or base64, prefix, list separator) over a template of `{timestamp}`, `{method}`, `{url}`, `{header:name}` and `{body}`; see the source's configuration.",
    security: (auth) => ({ type: "apiKey", header: auth.header }),
  },
});
