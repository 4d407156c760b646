/**
 * Failures of an upstream call, carrying what the caller needs to decide what to do: the status
 * and envelope to show the client, whether trying again can help, and the upstream's Retry-After.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ErrorCode, type ErrorDetail, GatewayError } from "../../http/errors";

export class UpstreamError extends GatewayError {
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: ContentfulStatusCode, errors: ErrorDetail[], options: { retryAfterSeconds?: number } = {}) {
    const headers: Record<string, string> = {};
    if (options.retryAfterSeconds !== undefined) headers["Retry-After"] = String(options.retryAfterSeconds);
    const first = errors[0] ?? { code: ErrorCode.UPSTREAM_UNAVAILABLE, message: "Upstream error" };
    super(status, first.code, first.message, { errors, headers });
    this.name = "UpstreamError";
    this.retryable = status === 429 || status >= 500;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  static unavailable(message: string): UpstreamError {
    return new UpstreamError(502, [{ code: ErrorCode.UPSTREAM_UNAVAILABLE, message }]);
  }

  static timeout(message: string): UpstreamError {
    return new UpstreamError(504, [{ code: ErrorCode.UPSTREAM_TIMEOUT, message }]);
  }
}
