/**
 * Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…][,v0=…]` over `{t}.{body}`, HMAC-SHA256 keyed
 * with the whole `whsec_…` string. Only v1 counts; any v1 may match (Stripe sends several while
 * a secret is being rolled). The timestamp is checked in both directions.
 */
import { fromHex } from "../encoding";
import { concatBytes, hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { checkTimestamp, refuse, TOLERANCE_SECONDS, type VerifyResult, verified } from "./result";

export async function verifyStripe(secrets: Secrets, input: VerifyInput, toleranceSeconds = TOLERANCE_SECONDS): Promise<VerifyResult> {
  const header = input.headers.get("stripe-signature");
  if (!header) return refuse("missing_signature");
  let timestamp: string | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const [name, value = ""] = part.trim().split("=", 2);
    if (name === "t") timestamp = value;
    else if (name === "v1") {
      const sig = fromHex(value);
      if (sig?.byteLength === 32) signatures.push(sig);
    }
  }
  if (!signatures.length) return refuse("malformed_signature");
  const time = checkTimestamp(timestamp, input.nowSeconds, toleranceSeconds);
  if (!time.ok) return time;
  const signed = concatBytes(`${timestamp}.`, input.body);
  return (await hmacVerifyAny("sha256", secrets, signed, signatures)) ? verified : refuse("signature_mismatch");
}
