/**
 * Standard Webhooks (and Svix, the same scheme under `svix-` header names; Clerk and Resend sign
 * with it): `webhook-signature: v1,<base64> [v1,<base64> …]`, HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` keyed with the base64-decoded secret (without its `whsec_` prefix),
 * within 300 s either way. Ids and timestamps containing "." are refused (they would shift the
 * signed string). The id is signed: it identifies the delivery.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { z } from "zod";
import { success, unauthorized } from "../lib/result";
import { SignatureScheme, schemeKeys, verifyScheme } from "../verify/scheme";
import { defineProvider, field, SecretName, SecretValues, Tolerance } from "./provider";

const KEY_ENCODING = { secret_encoding: "base64", secret_prefix: "whsec_" } as const;

/** The scheme under either header prefix (`webhook-` or Svix's `svix-`). */
const SCHEMES = Object.fromEntries(
  (["webhook", "svix"] as const).map((p) => [
    p,
    SignatureScheme.parse({
      header: `${p}-signature`,
      encoding: "base64",
      separator: " ",
      entry: "v1,",
      timestamp_header: `${p}-timestamp`,
      template: `{header:${p}-id}.{timestamp}.{body}`,
      ...KEY_ENCODING,
    }),
  ]),
) as Record<"webhook" | "svix", SignatureScheme>;

export function standardPrefix(headers: Headers): "webhook" | "svix" {
  return headers.has("webhook-signature") || !headers.has("svix-signature") ? "webhook" : "svix";
}

export const StandardAuth = z
  .object({ kind: z.literal("standard"), secret: SecretName, secrets: SecretValues, tolerance_seconds: Tolerance.optional() })
  .superRefine((auth, ctx) => {
    // An empty or undecodable key would pass here and then refuse every request.
    for (const [i, key] of schemeKeys(KEY_ENCODING, auth.secrets).entries()) {
      if (key === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i],
          message: `${auth.secret} is not a Standard Webhooks secret (a non-empty base64 key, with or without its prefix)`,
        });
      }
    }
  });
export type StandardAuth = z.infer<typeof StandardAuth>;

export const standard = defineProvider<StandardAuth>({
  kind: "standard",
  title: "Standard Webhooks",
  docs: "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
  auth: StandardAuth,
  readsBody: true,
  async verify(auth, input) {
    const prefix = standardPrefix(input.headers);
    const id = input.headers.get(`${prefix}-id`);
    if (!input.headers.get(`${prefix}-signature`)) return unauthorized("missing_signature");
    if (!id || id.includes(".") || (input.headers.get(`${prefix}-timestamp`) ?? "").includes(".")) return unauthorized("malformed_signature");
    const scheme = auth.tolerance_seconds === undefined ? SCHEMES[prefix] : { ...SCHEMES[prefix], tolerance_seconds: auth.tolerance_seconds };
    const result = await verifyScheme(scheme, auth.secrets, input);
    return result.ok ? success({}) : result;
  },
  identify: (headers, data) => ({ event: field(data, "type"), delivery_id: headers.get(`${standardPrefix(headers)}-id`) }),
  delivery: "signed_id",
  headers: ["webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"],
  secretHeaders: () => ["webhook-signature", "svix-signature"],
  example: { auth: { kind: "standard", secret: "STANDARD_WEBHOOK_SECRET" }, accept: ["json"] },
  openapi: {
    description:
      "Standard Webhooks (or Svix): `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>`, within 300 s either way.",
    security: () => ({ type: "apiKey", header: "webhook-signature" }),
  },
});
