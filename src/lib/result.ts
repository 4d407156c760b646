/**
 * The one Result type. Pure steps (reading, verifying, parsing, normalizing, accepting) return
 * `Result<T>`; a failure is a tagged reason. `ingestError` (src/ingest/respond.ts) is the one
 * exhaustive switch from reasons to the wire, and only the HTTP edge throws.
 */

/**
 * Why a request was not authenticated. On the wire every one of them is the same generic 401,
 * so a forger learns nothing about which check failed; the reason goes to the log.
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
  | "token_replayed"
  | "no_secret_configured";

export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

export type Failure =
  | { reason: "unknown_source" }
  | { reason: "unsupported_media_type"; detail: string }
  | { reason: "unsupported_encoding"; accepted: readonly string[] }
  | { reason: "body_too_large"; limit: number }
  | { reason: "decompressed_too_large"; limit: number }
  | { reason: "bad_compression" }
  | { reason: "bad_utf8" }
  | { reason: "malformed_json"; detail: string }
  | { reason: "malformed_body"; detail: string }
  | { reason: "duplicate_json_key"; path: (string | number)[] }
  | { reason: "file_not_allowed" }
  | { reason: "too_many_items"; limit: number }
  | { reason: "empty_batch" }
  | { reason: "validation_failed"; issues: FieldIssue[] }
  | { reason: "message_too_large"; index: number; bytes: number; limit: number }
  | { reason: "batch_too_large"; bytes: number; limit: number }
  | { reason: "unauthorized"; why: VerifyFailure }
  | { reason: "turnstile_failed" }
  | { reason: "rate_limited"; retryAfterSeconds: number }
  | { reason: "idempotency_conflict" }
  | { reason: "upstream_unavailable"; retryAfterSeconds: number; detail: string };

export type Result<T> = { ok: true; value: T } | ({ ok: false } & Failure);

export const success = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(failure: Failure): Result<T> => ({ ok: false, ...failure });
/** Authentication failed, for this reason (logged, never sent). */
export const unauthorized = <T = never>(why: VerifyFailure): Result<T> => ({ ok: false, reason: "unauthorized", why });

/** A step's failure, carried from `must` to the HTTP edge's one catch. */
export class Refused extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

/** Unwraps a Result or stops the pipeline with its failure (the route's catch answers it). */
export function must<T>(result: Result<T>): T {
  if (!result.ok) throw new Refused(result);
  return result.value;
}
