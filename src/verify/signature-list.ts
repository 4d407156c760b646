/**
 * Signature headers that may carry several signatures (Stripe's `v1=`, Standard Webhooks'
 * `v1,`): each one costs an HMAC over a body of up to a megabyte, per configured secret, and a
 * forger needs no secret to send thousands. The list is bounded before any HMAC runs: the header
 * by length, the entries by count after dropping repeats. Beyond either, the request is refused
 * (the generic 401; the reason goes to the log).
 */
import { toHex } from "../encoding";
import type { VerifyFailure } from "./result";

/** Longest signature header read; rotation needs a handful of entries, not a kilobyte. */
export const MAX_SIGNATURE_HEADER_CHARS = 1024;
/** Most distinct signatures checked per request (senders send one, or two while rotating). */
export const MAX_SIGNATURES = 5;

export type SignatureList = { ok: true; signatures: Uint8Array[] } | { ok: false; reason: VerifyFailure };

/**
 * Picks the entries of `header` (split on `separator`) that `decode` accepts, without repeats.
 * `decode` returns undefined for entries of another version or of the wrong length.
 */
export function signatureList(header: string, separator: string, decode: (entry: string) => Uint8Array | undefined): SignatureList {
  if (header.length > MAX_SIGNATURE_HEADER_CHARS) return { ok: false, reason: "signature_header_too_long" };
  const byHex = new Map<string, Uint8Array>();
  for (const entry of header.split(separator)) {
    const signature = decode(entry.trim());
    if (signature) byHex.set(toHex(signature), signature);
  }
  if (byHex.size > MAX_SIGNATURES) return { ok: false, reason: "too_many_signatures" };
  if (byHex.size === 0) return { ok: false, reason: "malformed_signature" };
  return { ok: true, signatures: [...byHex.values()] };
}
