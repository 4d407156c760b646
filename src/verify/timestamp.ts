/** Signed timestamps, checked against the clock in both directions (one-sided checks let future-dated replays through). */
import { type Result, success, unauthorized } from "../lib/result";

/** Default replay window for schemes that sign a timestamp. */
export const TOLERANCE_SECONDS = 300;

/** Checks a signed unix timestamp (seconds) against the clock, symmetrically. */
export function checkTimestamp(
  raw: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds: number,
): Result<void> {
  if (raw === undefined || raw === null || raw === "") return unauthorized("missing_timestamp");
  if (!/^\d{1,12}$/.test(raw)) return unauthorized("malformed_signature");
  return checkSeconds(Number(raw), nowSeconds, toleranceSeconds);
}

/** The same check on a number of seconds (providers that send milliseconds divide first). */
export function checkSeconds(ts: number, nowSeconds: number, toleranceSeconds: number): Result<void> {
  if (ts < nowSeconds - toleranceSeconds) return unauthorized("timestamp_too_old");
  if (ts > nowSeconds + toleranceSeconds) return unauthorized("timestamp_in_future");
  return success(undefined);
}
