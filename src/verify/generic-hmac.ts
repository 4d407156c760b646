/**
 * Generic HMAC for providers without a dedicated verifier: a header, an algorithm, hex or base64,
 * an optional prefix (`sha256=`), and optionally a timestamp header included in the signed string
 * through a template such as `{timestamp}.{body}` (then checked against the tolerance).
 */
import { concatBytes, decodeSignature, type HmacAlgorithm, hmacVerifyAny, type SignatureEncoding } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { checkTimestamp, refuse, TOLERANCE_SECONDS, type VerifyResult, verified } from "./result";

export interface GenericHmacOptions {
  header: string;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  prefix?: string | undefined;
  timestamp_header?: string | undefined;
  /** The signed string; `{body}` is the raw body and `{timestamp}` the timestamp header. */
  template: string;
  tolerance_seconds?: number | undefined;
}

export async function verifyGenericHmac(secrets: Secrets, options: GenericHmacOptions, input: VerifyInput): Promise<VerifyResult> {
  const header = input.headers.get(options.header);
  if (!header) return refuse("missing_signature");
  const prefix = options.prefix ?? "";
  if (!header.startsWith(prefix)) return refuse("malformed_signature");
  const signature = decodeSignature(header.slice(prefix.length).trim(), options.encoding);
  if (!signature?.byteLength) return refuse("malformed_signature");

  let timestamp = "";
  if (options.timestamp_header) {
    timestamp = input.headers.get(options.timestamp_header) ?? "";
    const time = checkTimestamp(timestamp, input.nowSeconds, options.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!time.ok) return time;
  }
  const [before = "", after = ""] = options.template.split("{body}", 2);
  const fill = (text: string) => text.replaceAll("{timestamp}", timestamp);
  const signed = concatBytes(fill(before), input.body, fill(after));
  return (await hmacVerifyAny(options.algorithm, secrets, signed, [signature])) ? verified : refuse("signature_mismatch");
}
