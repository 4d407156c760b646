/**
 * OpenAPI descriptions built from the same zod schemas the routes validate with (hono-openapi's
 * `describeRoute` + `resolver`), so the document cannot drift from the validators. Request
 * schemas are rendered as their input side (before transforms); the envelope wraps results.
 */
import { describeRoute, resolver } from "hono-openapi";
import * as z from "zod";

const INPUT = { io: "input", unrepresentable: "any" } as const;

export const ErrorEnvelope = z.object({
  success: z.literal(false),
  errors: z.array(
    z.object({
      code: z.number().int(),
      message: z.string(),
      path: z.array(z.union([z.string(), z.number()])).optional(),
    }),
  ),
  messages: z.array(z.string()),
  result: z.null(),
});

export function envelopeOf<T extends z.ZodType>(result: T) {
  return z.object({ success: z.literal(true), errors: z.array(z.never()), messages: z.array(z.string()), result });
}

export function jsonBody(schema: z.ZodType, description?: string) {
  return { required: true, description, content: { "application/json": { schema: resolver(schema, INPUT) } } };
}

const json = (schema: z.ZodType) => ({ "application/json": { schema: resolver(schema, INPUT) } });

/** Responses: the documented success plus the envelope for every error status the route can give. */
export function responses(success: Record<number, { description: string; schema?: z.ZodType }>, errors: number[]) {
  const out: Record<string, { description: string; content?: ReturnType<typeof json> }> = {};
  for (const [status, { description, schema }] of Object.entries(success))
    out[status] = schema ? { description, content: json(schema) } : { description };
  for (const status of errors)
    out[String(status)] = { description: ERROR_DESCRIPTIONS[status] ?? "Error", content: json(ErrorEnvelope) };
  return out;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed or invalid body",
  401: "Missing or unknown key, or a signature that does not verify",
  403: "Key lacks the scope or queue; human verification failed",
  404: "Unknown queue or source",
  405: "Wrong method",
  409: "The same delivery is being processed",
  413: "Body, message or batch too large",
  415: "Unsupported content type or encoding",
  422: "Payload failed the source's schema",
  429: "Rate limited (Retry-After)",
  500: "Gateway misconfigured",
  502: "Upstream unreachable or answered badly",
  503: "Queue temporarily unavailable (Retry-After)",
  504: "Upstream timed out",
};

export const documented = describeRoute;
export const bearer = [{ bearer: [] }];
