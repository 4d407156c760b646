/**
 * The one exhaustive switch from ingest failure reasons to wire errors. Verification failures
 * all become the same generic 401: the reason is logged, never sent.
 */
import { ErrorCode, GatewayError } from "../http/errors";
import type { Failure } from "../lib/result";

export const INGEST_CODE = {
  VALIDATION_FAILED: 10422,
  IDEMPOTENCY_CONFLICT: 10410,
  RATE_LIMITED: 10429,
  UPSTREAM_UNAVAILABLE: 10503,
  HUMAN_CHECK_FAILED: 10401,
} as const;

export function ingestError(failure: Failure): GatewayError {
  switch (failure.reason) {
    case "unknown_source":
      return new GatewayError(404, ErrorCode.NO_ROUTE, "No such ingest source");
    case "unsupported_media_type":
      return new GatewayError(
        415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `Unsupported Content-Type; this source accepts ${failure.detail}`,
      );
    case "unsupported_encoding":
      // The header's value is not echoed: whatever a client put there stays out of responses.
      return new GatewayError(
        415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        failure.accepted.length
          ? `Unsupported Content-Encoding: this source accepts ${failure.accepted.join(", ")} or none`
          : "This source does not accept compressed bodies",
      );
    case "body_too_large":
      return new GatewayError(413, ErrorCode.REQUEST_TOO_LARGE, `Request body exceeds ${failure.limit} bytes`);
    case "decompressed_too_large":
      return new GatewayError(413, ErrorCode.REQUEST_TOO_LARGE, `Decompressed body exceeds ${failure.limit} bytes`);
    case "bad_compression":
      return new GatewayError(400, ErrorCode.BODY_MALFORMED, "Body does not match its Content-Encoding");
    case "bad_utf8":
      return new GatewayError(400, ErrorCode.BODY_MALFORMED, "Body is not valid UTF-8");
    case "malformed_json":
      return new GatewayError(
        400,
        ErrorCode.BODY_MALFORMED,
        `Body is not valid JSON${failure.detail ? ` (${failure.detail})` : ""}`,
      );
    case "malformed_body":
      return new GatewayError(400, ErrorCode.BODY_MALFORMED, failure.detail);
    case "duplicate_json_key": {
      const where = failure.path.length ? failure.path.join(".") : "(root)";
      return new GatewayError(400, ErrorCode.BODY_MALFORMED, `Body has a duplicate JSON key at ${where}`, {
        errors: [
          { code: ErrorCode.BODY_MALFORMED, message: `Body has a duplicate JSON key at ${where}`, path: failure.path },
        ],
      });
    }
    case "file_not_allowed":
      return new GatewayError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "File uploads are not accepted by this source");
    case "too_many_items":
      return new GatewayError(413, ErrorCode.BATCH_TOO_MANY, `A batch holds at most ${failure.limit} items`);
    case "empty_batch":
      return new GatewayError(400, ErrorCode.BODY_INVALID, "A batch needs at least one item");
    case "validation_failed": {
      const errors = failure.issues.map((issue) => ({
        code: INGEST_CODE.VALIDATION_FAILED,
        message: `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
        path: issue.path,
      }));
      return new GatewayError(422, INGEST_CODE.VALIDATION_FAILED, "Payload failed validation", { errors });
    }
    case "message_too_large":
      return new GatewayError(
        413,
        ErrorCode.MESSAGE_TOO_LARGE,
        `Message ${failure.index} would be ${failure.bytes} bytes; the queue limit is ${failure.limit}`,
      );
    case "batch_too_large":
      return new GatewayError(
        413,
        ErrorCode.BATCH_TOO_LARGE,
        `Messages total ${failure.bytes} bytes; one request may produce at most ${failure.limit}`,
      );
    case "unauthorized":
      return new GatewayError(401, ErrorCode.AUTHENTICATION, "Unauthorized");
    case "turnstile_failed":
      return new GatewayError(403, INGEST_CODE.HUMAN_CHECK_FAILED, "Human verification failed");
    case "rate_limited":
      return new GatewayError(429, INGEST_CODE.RATE_LIMITED, "Too many requests", {
        headers: { "Retry-After": String(failure.retryAfterSeconds) },
      });
    case "idempotency_conflict":
      return new GatewayError(
        422,
        INGEST_CODE.IDEMPOTENCY_CONFLICT,
        "This delivery id was already used with a different payload",
      );
    case "upstream_unavailable":
      return new GatewayError(503, INGEST_CODE.UPSTREAM_UNAVAILABLE, "Queue temporarily unavailable; retry later", {
        headers: { "Retry-After": String(failure.retryAfterSeconds) },
      });
  }
}
