/**
 * Signature headers that may carry several signatures (Stripe's `v1=`, Standard Webhooks'
 * `v1,`): each one costs an HMAC over a body of up to a megabyte, per configured secret, and a
 * forger needs no secret to send thousands. The list is bounded before any HMAC runs: the header
 * by length, the entries by count after dropping repeats. Beyond either, the request is refused
 * (the generic 401; the reason goes to the log).
 */
import { toHex } from "../lib/encoding";
import { type Result, success, unauthorized } from "../lib/result";

/** Longest signature header read; rotation needs a handful of entries, not a kilobyte. */
export const MAX_SIGNATURE_HEADER_CHARS = 1024;
/** Most distinct signatures checked per request (senders send one, or two while rotating). */
export const MAX_SIGNATURES = 5;

/**
 * Picks the `entries` of a signature `header` that `decode` accepts, without repeats. `decode`
 * returns undefined for entries of another version or of the wrong length.
 */
export function signatureList(
  header: string,
  entries: readonly string[],
  decode: (entry: string) => Uint8Array | undefined,
): Result<Uint8Array[]> {
  if (header.length > MAX_SIGNATURE_HEADER_CHARS) return unauthorized("signature_header_too_long");
  const byHex = new Map<string, Uint8Array>();
  for (const entry of entries) {
    const signature = decode(entry);
    if (signature) byHex.set(toHex(signature), signature);
  }
  if (byHex.size > MAX_SIGNATURES) return unauthorized("too_many_signatures");
  if (byHex.size === 0) return unauthorized("malformed_signature");
  return success([...byHex.values()]);
}
