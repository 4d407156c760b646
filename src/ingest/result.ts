/**
 * Ingest's failure reasons, as a tagged union. Pure steps (reading, parsing, verifying,
 * normalizing) return them; `ingestError` in ./respond.ts is the one exhaustive switch that turns
 * a reason into a status, a code and a message.
 */
import type { VerifyFailure } from "../verify/result";

export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

export type IngestFailure =
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
  | { reason: "delivery_in_progress" }
  | { reason: "idempotency_conflict" }
  | { reason: "upstream_unavailable"; retryAfterSeconds: number; detail: string };

export type Result<T> = { ok: true; value: T } | ({ ok: false } & IngestFailure);

export const success = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(failure: IngestFailure): Result<T> => ({ ok: false, ...failure });
