/**
 * Standard Webhooks (and Svix, the same scheme under `svix-` header names; Clerk and Resend sign
 * with it): `webhook-signature` lists signatures of `{id}.{timestamp}.{body}`, space-separated:
 * `v1,<base64 HMAC-SHA256>` keyed with the base64-decoded secret (without its `whsec_` prefix),
 * and `v1a,<base64 Ed25519>` checked with the sender's public key (`whpk_` and the base64 of
 * 32 bytes). A source configures a secret, a public key, or both; any entry of a configured
 * kind may match (at most 5 distinct entries are checked), within 300 s either way. Ids and
 * timestamps containing "." are refused (they would shift the signed string). The id is signed:
 * it identifies the delivery.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import * as z from "zod";
import { fromBase64, toBase64 } from "../lib/encoding";
import { success, unauthorized } from "../lib/result";
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, ed25519Sign, ed25519VerifyAny } from "../verify/ed25519";
import { concatBytes, hmacSign, hmacVerifyAny } from "../verify/hmac";
import { schemeKeys } from "../verify/scheme";
import { signatureList } from "../verify/signature-list";
import { checkTimestamp, TOLERANCE_SECONDS } from "../verify/timestamp";
import {
  type Credentials,
  credential,
  defineProvider,
  field,
  SecretName,
  SecretValues,
  type SignedRequest,
  type SignRequest,
  Tolerance,
} from "./provider";
import { isoAt, randomHex } from "./sample";

const KEY_ENCODING = { secret_encoding: "base64", secret_prefix: "whsec_" } as const;
const PUBLIC_KEY_PREFIX = "whpk_";
/** An HMAC-SHA256 signature's length; Ed25519's is 64, so the length tells the versions apart. */
const V1_SIGNATURE_BYTES = 32;
/** The signature entries read: `v1,<base64>` and `v1a,<base64>`. */
const VERSIONS = [
  { marker: "v1,", bytes: V1_SIGNATURE_BYTES },
  { marker: "v1a,", bytes: ED25519_SIGNATURE_BYTES },
] as const;

export function standardPrefix(headers: Headers): "webhook" | "svix" {
  return headers.has("webhook-signature") || !headers.has("svix-signature") ? "webhook" : "svix";
}

/** The raw bytes of a `whpk_` public key (the prefix may be omitted), or undefined. */
function publicKey(text: string): Uint8Array | undefined {
  const bytes = fromBase64(text.startsWith(PUBLIC_KEY_PREFIX) ? text.slice(PUBLIC_KEY_PREFIX.length) : text);
  return bytes?.byteLength === ED25519_PUBLIC_KEY_BYTES ? bytes : undefined;
}

/** A `v1,` or `v1a,` entry's signature, when it has the length of its version. */
function entrySignature(entry: string): Uint8Array | undefined {
  const version = VERSIONS.find((v) => entry.startsWith(v.marker));
  const signature = version && fromBase64(entry.slice(version.marker.length));
  return signature?.byteLength === version?.bytes ? signature : undefined;
}

const NOT_SET = "the named secret is empty or not set (wrangler secret put / .dev.vars)";

/**
 * Signs as a Standard Webhooks sender under `prefix` (`svix` for Svix-delivered providers): a
 * `v1` HMAC with the `secret` credential, or else a `v1a` Ed25519 signature with the private half
 * of `public_key`. The request's own `<prefix>-id` is kept; one is made up when it has none.
 */
export function signStandard(prefix: "webhook" | "svix") {
  return async (_auth: unknown, credentials: Credentials, request: SignRequest): Promise<SignedRequest> => {
    const id = request.headers[`${prefix}-id`] ?? `msg_${randomHex(12)}`;
    const timestamp = String(request.nowSeconds);
    const signed = concatBytes(`${id}.${timestamp}.`, request.body);
    let entry: string;
    if (credentials.secret) {
      const [key] = schemeKeys(KEY_ENCODING, [credentials.secret]);
      if (!key) throw new TypeError("`secret` is not a Standard Webhooks secret (whsec_ and base64)");
      entry = `v1,${toBase64(await hmacSign("sha256", key, signed))}`;
    } else {
      entry = `v1a,${toBase64(await ed25519Sign(credential(credentials, "public_key"), signed))}`;
    }
    return { headers: { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: timestamp, [`${prefix}-signature`]: entry } };
  };
}

/** A small event as Standard Webhooks senders shape theirs: `type`, `timestamp`, `data`. */
export const standardEvent = (type: string | null, nowSeconds: number, data: Record<string, unknown>) =>
  JSON.stringify({ type, timestamp: isoAt(nowSeconds), data });

export const StandardAuth = z
  .object({
    kind: z.literal("standard"),
    /** Names the `whsec_` signing secret(s), for `v1` signatures. */
    secret: SecretName.optional(),
    secrets: SecretValues.optional(),
    /** Names the `whpk_` public key(s), for `v1a` signatures. */
    public_key: SecretName.optional(),
    public_keys: SecretValues.optional(),
    tolerance_seconds: Tolerance.optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.secret === undefined && auth.public_key === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["secret"],
        message:
          "required: `secret` (a whsec_ signing secret, for v1 signatures) or `public_key` (a whpk_ public key, for v1a), or both",
      });
    }
    if (auth.secret !== undefined && auth.secrets === undefined)
      ctx.addIssue({ code: "custom", path: ["secrets"], message: NOT_SET });
    if (auth.public_key !== undefined && auth.public_keys === undefined)
      ctx.addIssue({ code: "custom", path: ["public_keys"], message: NOT_SET });
    // An empty or undecodable key would pass here and then refuse every request.
    for (const [i, key] of schemeKeys(KEY_ENCODING, auth.secrets ?? []).entries()) {
      if (key === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i],
          message: `${auth.secret} is not a Standard Webhooks secret (a non-empty base64 key, with or without its prefix)`,
        });
      }
    }
    for (const [i, key] of (auth.public_keys ?? []).entries()) {
      if (!publicKey(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["public_keys", i],
          message: `${auth.public_key} is not a Standard Webhooks public key (whpk_ and the base64 of 32 bytes)`,
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
  secretFields: { secret: "secrets", public_key: "public_keys" },
  readsBody: true,
  async verify(auth, input) {
    const prefix = standardPrefix(input.headers);
    const header = input.headers.get(`${prefix}-signature`);
    const id = input.headers.get(`${prefix}-id`);
    const timestamp = input.headers.get(`${prefix}-timestamp`);
    if (!header) return unauthorized("missing_signature");
    if (!id || id.includes(".") || (timestamp ?? "").includes(".")) return unauthorized("malformed_signature");
    const signatures = signatureList(
      header,
      header.split(" ").map((entry) => entry.trim()),
      entrySignature,
    );
    if (!signatures.ok) return signatures;
    const time = checkTimestamp(timestamp, input.nowSeconds, auth.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!time.ok) return time;
    const secrets = schemeKeys(KEY_ENCODING, auth.secrets ?? []).filter((key) => key !== undefined);
    const publicKeys = (auth.public_keys ?? []).map(publicKey).filter((key) => key !== undefined);
    if (!secrets.length && !publicKeys.length) return unauthorized("no_secret_configured");
    const signed = concatBytes(`${id}.${timestamp}.`, input.body);
    const v1 = signatures.value.filter((s) => s.byteLength === V1_SIGNATURE_BYTES);
    const v1a = signatures.value.filter((s) => s.byteLength === ED25519_SIGNATURE_BYTES);
    // Both checks run whatever the other finds: the time taken does not tell which one matched.
    const [byHmac, byKey] = await Promise.all([
      hmacVerifyAny("sha256", secrets, signed, v1),
      ed25519VerifyAny(publicKeys, signed, v1a),
    ]);
    return byHmac || byKey ? success({}) : unauthorized("signature_mismatch");
  },
  identify: (headers, data) => ({
    event: field(data, "type"),
    delivery_id: headers.get(`${standardPrefix(headers)}-id`),
  }),
  delivery: "signed_id",
  headers: ["webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"],
  secretHeaders: ["webhook-signature", "svix-signature"],
  example: {
    auth: { kind: "standard", secret: "STANDARD_WEBHOOK_SECRET", public_key: "STANDARD_WEBHOOK_PUBLIC_KEY" },
    accept: ["json"],
  },
  sign: signStandard("webhook"),
  publicKeys: ["public_key"],
  sample: {
    event: "invoice.paid",
    body: (event, nowSeconds) =>
      standardEvent(event, nowSeconds, { id: `in_${randomHex(8)}`, amount: 2000, currency: "usd" }),
  },
  openapi: {
    description:
      "Standard Webhooks (or Svix): `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` with the whsec_ secret and/or `v1a,<base64 Ed25519 signature of the same>` with the whpk_ public key (space-separated, any may match), within 300 s either way.",
    security: () => ({ type: "apiKey", header: "webhook-signature" }),
  },
});
