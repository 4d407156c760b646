/**
 * Shopify: `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body with the app's secret.
 * No timestamp: replays are stopped by deduplicating `X-Shopify-Webhook-Id`.
 */
import { fromBase64 } from "../encoding";
import { hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { refuse, type VerifyResult, verified } from "./result";

export async function verifyShopify(secrets: Secrets, input: VerifyInput): Promise<VerifyResult> {
  const header = input.headers.get("x-shopify-hmac-sha256");
  if (!header) return refuse("missing_signature");
  const signature = fromBase64(header.trim());
  if (signature?.byteLength !== 32) return refuse("malformed_signature");
  return (await hmacVerifyAny("sha256", secrets, input.body, [signature])) ? verified : refuse("signature_mismatch");
}
