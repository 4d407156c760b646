/**
 * Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…][,v0=…]` over `{t}.{body}`, HMAC-SHA256 keyed
 * with the whole `whsec_…` string. Only v1 counts; any v1 may match (Stripe sends several while
 * a secret is being rolled), up to MAX_SIGNATURES distinct ones. The timestamp is checked in
 * both directions.
 */
import { fromHex } from "../encoding";
import { concatBytes, hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { checkTimestamp, refuse, TOLERANCE_SECONDS, type VerifyResult, verified } from "./result";
import { signatureList } from "./signature-list";

export async function verifyStripe(secrets: Secrets, input: VerifyInput, toleranceSeconds = TOLERANCE_SECONDS): Promise<VerifyResult> {
  const header = input.headers.get("stripe-signature");
  if (!header) return refuse("missing_signature");
  let timestamp: string | undefined;
  const list = signatureList(header, ",", (part) => {
    const [name, value = ""] = part.split("=", 2);
    if (name === "t") timestamp = value;
    const sig = name === "v1" ? fromHex(value) : undefined;
    return sig?.byteLength === 32 ? sig : undefined;
  });
  if (!list.ok) return list;
  const time = checkTimestamp(timestamp, input.nowSeconds, toleranceSeconds);
  if (!time.ok) return time;
  const signed = concatBytes(`${timestamp}.`, input.body);
  return (await hmacVerifyAny("sha256", secrets, signed, list.signatures)) ? verified : refuse("signature_mismatch");
}
