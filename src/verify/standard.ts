/**
 * Standard Webhooks (and Svix, which uses the same scheme under `svix-` header names):
 * `webhook-signature: v1,<base64> [v1,<base64> …]`, HMAC-SHA256 of `{id}.{timestamp}.{body}`
 * keyed with the base64-decoded secret (without its `whsec_` prefix). Timestamps are checked in
 * both directions; ids and timestamps containing "." are refused (they would shift the signed
 * string). `v1a` (ed25519) signatures are ignored.
 */
import { fromBase64 } from "../encoding";
import { concatBytes, hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { checkTimestamp, refuse, TOLERANCE_SECONDS, type VerifyResult, verified } from "./result";
import { signatureList } from "./signature-list";

const SECRET_PREFIX = "whsec_";

export function standardHeaders(headers: Headers): { id: string | null; timestamp: string | null; signature: string | null } {
  const prefix = headers.has("webhook-signature") || !headers.has("svix-signature") ? "webhook" : "svix";
  return {
    id: headers.get(`${prefix}-id`),
    timestamp: headers.get(`${prefix}-timestamp`),
    signature: headers.get(`${prefix}-signature`),
  };
}

export function standardSecretKey(secret: string): Uint8Array | undefined {
  return fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
}

export async function verifyStandard(secrets: Secrets, input: VerifyInput, toleranceSeconds = TOLERANCE_SECONDS): Promise<VerifyResult> {
  const { id, timestamp, signature } = standardHeaders(input.headers);
  if (!signature) return refuse("missing_signature");
  if (!id || id.includes(".") || (timestamp ?? "").includes(".")) return refuse("malformed_signature");
  const time = checkTimestamp(timestamp ?? undefined, input.nowSeconds, toleranceSeconds);
  if (!time.ok) return time;
  const list = signatureList(signature, " ", (part) => {
    const sig = part.startsWith("v1,") ? fromBase64(part.slice(3)) : undefined;
    return sig?.byteLength === 32 ? sig : undefined;
  });
  if (!list.ok) return list;
  const keys = secrets.map(standardSecretKey).filter((k): k is Uint8Array => k !== undefined);
  if (!keys.length) return refuse("no_secret_configured");
  const signed = concatBytes(`${id}.${timestamp}.`, input.body);
  return (await hmacVerifyAny("sha256", keys, signed, list.signatures)) ? verified : refuse("signature_mismatch");
}
