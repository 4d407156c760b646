/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body with the webhook
 * secret (as octokit's webhooks-methods verifies it). No timestamp: replays are stopped by
 * deduplicating `X-GitHub-Delivery`.
 */
import { fromHex } from "../encoding";
import { hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { refuse, type VerifyResult, verified } from "./result";

export async function verifyGitHub(secrets: Secrets, input: VerifyInput): Promise<VerifyResult> {
  const header = input.headers.get("x-hub-signature-256");
  if (!header) return refuse("missing_signature");
  const signature = header.startsWith("sha256=") ? fromHex(header.slice(7)) : undefined;
  if (signature?.byteLength !== 32) return refuse("malformed_signature");
  return (await hmacVerifyAny("sha256", secrets, input.body, [signature])) ? verified : refuse("signature_mismatch");
}
