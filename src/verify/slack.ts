/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`
 * with the signing secret; requests older or newer than the tolerance are refused.
 */
import { fromHex } from "../encoding";
import { concatBytes, hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { checkTimestamp, refuse, TOLERANCE_SECONDS, type VerifyResult, verified } from "./result";

export async function verifySlack(secrets: Secrets, input: VerifyInput, toleranceSeconds = TOLERANCE_SECONDS): Promise<VerifyResult> {
  const header = input.headers.get("x-slack-signature");
  if (!header) return refuse("missing_signature");
  const signature = header.startsWith("v0=") ? fromHex(header.slice(3)) : undefined;
  if (signature?.byteLength !== 32) return refuse("malformed_signature");
  const timestamp = input.headers.get("x-slack-request-timestamp") ?? undefined;
  const time = checkTimestamp(timestamp, input.nowSeconds, toleranceSeconds);
  if (!time.ok) return time;
  const signed = concatBytes(`v0:${timestamp}:`, input.body);
  return (await hmacVerifyAny("sha256", secrets, signed, [signature])) ? verified : refuse("signature_mismatch");
}
