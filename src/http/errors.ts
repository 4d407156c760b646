/**
 * One error type for the whole gateway. Anything that should reach a client as a non-2xx
 * answer is thrown as a GatewayError; `app.onError` (src/http/on-error.ts) renders it in the
 * Cloudflare envelope. Codes reuse Cloudflare's where one exists, so SDK users see familiar ones.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ErrorCode = {
  AUTHENTICATION: 10000,
  NO_ROUTE: 7003,
  QUEUE_NOT_FOUND: 10104,
  UNAUTHORIZED: 10106,
  QUEUE_ID_MALFORMED: 10107,
  BATCH_DELAY_INVALID: 10202,
  MESSAGE_METADATA_INVALID: 10203,
  MESSAGE_TOO_LARGE: 10204,
  BATCH_TOO_LARGE: 10205,
  BATCH_TOO_MANY: 10206,
  BODY_INVALID: 10207,
  BODY_MALFORMED: 10208,
  QUEUE_OVERLOADED: 10250,
  RATE_LIMITED: 971,
  INTERNAL: 15000,
  // Gateway-specific codes (no Cloudflare equivalent).
  METHOD_NOT_ALLOWED: 7001,
  UNSUPPORTED_MEDIA_TYPE: 10415,
  REQUEST_TOO_LARGE: 10413,
  UPSTREAM_UNAVAILABLE: 10502,
  UPSTREAM_TIMEOUT: 10504,
  CONFIG_INVALID: 15001,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetail {
  code: number;
  message: string;
  source?: { pointer?: string };
  /** Where in the payload a validation error is (ingest 422s). */
  path?: (string | number)[];
}

export class GatewayError extends Error {
  readonly status: ContentfulStatusCode;
  readonly errors: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: number,
    message: string,
    options: { headers?: Record<string, string>; errors?: ErrorDetail[] } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.errors = options.errors ?? [{ code, message }];
    this.headers = options.headers ?? {};
  }
}

export interface Envelope<T> {
  success: boolean;
  errors: ErrorDetail[];
  messages: string[];
  result: T | null;
}

export function ok<T>(result: T): Envelope<T> {
  return { success: true, errors: [], messages: [], result };
}

export function failure(errors: ErrorDetail[]): Envelope<null> {
  return { success: false, errors, messages: [], result: null };
}
