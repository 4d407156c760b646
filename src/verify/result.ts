/**
 * What a verifier says. Failures are tagged with a reason for the operator's log; on the wire
 * every one of them is the same generic 401 (src/ingest/respond.ts), so a forger learns nothing
 * about which check failed.
 */
export type VerifyFailure =
  | "missing_signature"
  | "malformed_signature"
  | "signature_header_too_long"
  | "too_many_signatures"
  | "signature_mismatch"
  | "missing_timestamp"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "missing_credentials"
  | "unknown_credentials"
  | "body_hash_mismatch"
  | "no_secret_configured";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export const verified: VerifyResult = { ok: true };
export const refuse = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason });

/** Default replay window for schemes that sign a timestamp, checked in both directions. */
export const TOLERANCE_SECONDS = 300;

/** Checks a signed unix timestamp (seconds) against the clock, symmetrically. */
export function checkTimestamp(raw: string | undefined, nowSeconds: number, toleranceSeconds: number): VerifyResult {
  if (raw === undefined || raw === "") return refuse("missing_timestamp");
  if (!/^\d{1,12}$/.test(raw)) return refuse("malformed_signature");
  const ts = Number(raw);
  if (ts < nowSeconds - toleranceSeconds) return refuse("timestamp_too_old");
  if (ts > nowSeconds + toleranceSeconds) return refuse("timestamp_in_future");
  return verified;
}
