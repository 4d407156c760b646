/**
 * What the tracking API answers, and where it differs from /ingest, for Segment's clients:
 *  - Accepted: Segment's own `200 {"success": true}`, the one shape its clients expect (they
 *    read the status: 2xx means stop retrying). A batch whose events were partly refused is
 *    still 200 for the accepted ones, with `rejected` saying which were not and why.
 *  - Refused: the Cloudflare envelope, as everywhere else (the clients do not read it), with two
 *    statuses changed, because the clients decide from the status alone whether to retry:
 *    invalid events are 400 (Segment's status, which they drop; /ingest says 422), and a
 *    delivery still in progress is 503 + Retry-After (/ingest says 409, which they would drop:
 *    the retry must happen, since the first attempt may yet fail).
 */
import { type ErrorDetail, GatewayError } from "../http/errors";
import { INGEST_CODE, ingestError } from "../ingest/respond";
import type { Failure, FieldIssue } from "../lib/result";

const STATUS_FOR_SEGMENT: Partial<Record<Failure["reason"], 400 | 503>> = {
  validation_failed: 400,
};

export function trackingError(failure: Failure): GatewayError {
  const error = ingestError(failure);
  const status = STATUS_FOR_SEGMENT[failure.reason];
  if (!status) return error;
  return new GatewayError(status, error.errors[0]?.code ?? INGEST_CODE.VALIDATION_FAILED, error.message, {
    errors: error.errors,
    headers: error.headers,
  });
}

/** A refused event, for `rejected` or for the error when none was accepted. */
export function invalidEvent(issue: FieldIssue): ErrorDetail & { path: (string | number)[] } {
  return {
    code: INGEST_CODE.VALIDATION_FAILED,
    message: `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
    path: issue.path,
  };
}

export function conflictingEvent(path: (string | number)[]): ErrorDetail & { path: (string | number)[] } {
  const where = path.length ? `${path.join(".")}: ` : "";
  return {
    code: INGEST_CODE.IDEMPOTENCY_CONFLICT,
    message: `${where}this messageId was already used with a different payload`,
    path,
  };
}

/** Nothing was accepted: 400 when an event was invalid, else 422 (every event reused a messageId with another payload). */
export function nothingAccepted(rejected: (ErrorDetail & { path: (string | number)[] })[]): GatewayError {
  if (rejected.some((r) => r.code === INGEST_CODE.VALIDATION_FAILED)) {
    return new GatewayError(400, INGEST_CODE.VALIDATION_FAILED, "Payload failed validation", { errors: rejected });
  }
  return new GatewayError(
    422,
    INGEST_CODE.IDEMPOTENCY_CONFLICT,
    "This messageId was already used with a different payload",
    { errors: rejected },
  );
}
