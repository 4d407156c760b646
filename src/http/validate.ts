/**
 * Request validation for the JSON API routes: the content type is checked here (the json
 * validator silently sees `{}` otherwise), malformed JSON is 10208, and zod issues become
 * Cloudflare's codes: limit issues carry their code in `params`, delays map by their path.
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type * as z from "zod";
import type { HttpEnv } from "./env";
import { ErrorCode, type ErrorDetail, GatewayError } from "./errors";

export function requireJsonBody(maxBytes: number): MiddlewareHandler<HttpEnv> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new GatewayError(413, ErrorCode.REQUEST_TOO_LARGE, `Request body exceeds ${maxBytes} bytes`);
    },
  });
  return async function jsonBody(c, next) {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      throw new GatewayError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    return limit(c, async () => {
      const text = await c.req.text();
      try {
        JSON.parse(text);
      } catch {
        throw new GatewayError(400, ErrorCode.BODY_MALFORMED, "Request body is not valid JSON");
      }
      await next();
    });
  };
}

/** `zValidator("json", schema)` whose failures throw our envelope errors. */
export function validJson<T extends z.ZodType>(schema: T, options: MappingOptions = {}) {
  return zValidator("json", schema, (result) => {
    if (!result.success) throw issuesToError(result.error.issues, options);
  });
}

interface MappingOptions {
  /** Code for an invalid top-level `delay_seconds`: a batch's (10202) or a single message's (10203). */
  topLevelDelayCode?: number;
}

export function issuesToError(issues: readonly z.core.$ZodIssue[], options: MappingOptions = {}): GatewayError {
  const errors: ErrorDetail[] = issues.map((issue) => ({
    code: codeFor(issue, options.topLevelDelayCode ?? ErrorCode.BATCH_DELAY_INVALID),
    message: `${issue.path.length ? `${issue.path.map(String).join(".")}: ` : ""}${issue.message}`,
    source: { pointer: `/${issue.path.map(String).join("/")}` },
  }));
  const tooLarge = issues.some(
    (i) => i.code === "custom" && (i.params as { status?: number } | undefined)?.status === 413,
  );
  const first = errors[0] ?? { code: ErrorCode.BODY_INVALID, message: "Invalid request body" };
  return new GatewayError(tooLarge ? 413 : 400, first.code, first.message, { errors });
}

function codeFor(issue: z.core.$ZodIssue, topLevelDelayCode: number): number {
  if (issue.code === "custom") {
    const code = (issue.params as { code?: number } | undefined)?.code;
    if (code !== undefined) return code;
  }
  const path = issue.path;
  const last = path[path.length - 1];
  if (last === "delay_seconds") return path.length === 1 ? topLevelDelayCode : ErrorCode.MESSAGE_METADATA_INVALID;
  if (last === "content_type") return ErrorCode.MESSAGE_METADATA_INVALID;
  if (path.length === 1 && path[0] === "messages" && issue.code === "too_big") return ErrorCode.BATCH_TOO_MANY;
  return ErrorCode.BODY_INVALID;
}
