/**
 * GET /openapi.json: the OpenAPI 3.1 document. The routes describe themselves (hono-openapi);
 * the ingest sources come from the configuration, each with its authentication scheme, media
 * types, payload schema (the source's own zod schema, rendered by zod) and rules.
 */
import type { Context, Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import * as z from "zod";
import type { AppEnv } from "../config/env";
import type { GatewayConfig } from "../config/schema";
import { isWebhookSource, type WebhookSource } from "../config/source-schema";
import { providerOf } from "../providers";
import { describeRules } from "../rules/describe";
import { ErrorEnvelope } from "./route-docs";

type Json = Record<string, unknown>;

const INPUT = { io: "input", unrepresentable: "any" } as const;

function mediaTypes(source: WebhookSource): Json {
  const payload: Json = source.schema ? (z.toJSONSchema(source.schema, INPUT) as Json) : {};
  const content: Json = {};
  for (const kind of source.accept) {
    if (kind === "json")
      content["application/json"] = {
        schema: source.batch ? { oneOf: [payload, { type: "array", items: payload, maxItems: 100 }] } : payload,
      };
    if (kind === "ndjson")
      content["application/x-ndjson"] = {
        schema: { type: "string", description: "One JSON payload per line, up to 100 lines" },
      };
    if (kind === "text") content["text/plain"] = { schema: { type: "string" } };
    if (kind === "form")
      content["application/x-www-form-urlencoded"] = {
        schema: { type: "object", additionalProperties: { type: "string" } },
      };
    if (kind === "multipart")
      content["multipart/form-data"] = { schema: { type: "object", additionalProperties: { type: "string" } } };
  }
  return content;
}

/** The source's security requirement and, for header schemes, its named scheme (from the provider descriptor). */
function security(name: string, source: WebhookSource): { requirement: Json[]; scheme?: [string, Json] } {
  const provider = providerOf(source.auth);
  const described = provider.openapi.security(source.auth);
  if (!described) return { requirement: [] };
  if (described.type === "http") return { requirement: [{ [described.scheme]: [] }] };
  const schemeName = `${name}_${provider.readsBody ? "signature" : "key"}`;
  return {
    requirement: [{ [schemeName]: [] }],
    scheme: [
      schemeName,
      { type: "apiKey", in: "header", name: described.header, description: provider.openapi.description },
    ],
  };
}

const errorContent = { "application/json": { schema: z.toJSONSchema(ErrorEnvelope) } };
const Accepted = z.object({
  success: z.literal(true),
  errors: z.array(z.never()),
  messages: z.array(z.string()),
  result: z.object({
    /** The enqueued messages' ids (one id per message, the same in every queue it went to). */
    ids: z.array(z.string()),
    /** Where they went (a source's rules may fan out); absent on a repeat. */
    queues: z.array(z.string()).optional(),
    /** Messages the source's rules dropped (answered like success, never enqueued). */
    dropped: z.number().int().optional(),
    items: z
      .array(
        z.union([
          z.object({ index: z.number(), id: z.string(), queues: z.array(z.string()).optional() }),
          z.object({ index: z.number(), queues: z.array(z.string()).max(0), dropped: z.literal(true) }),
        ]),
      )
      .optional(),
    duplicate: z.literal(true).optional(),
  }),
});

function sourceOperation(name: string, source: WebhookSource): Json {
  const errors = [400, 401, 404, 409, 413, 415, 422, 429, 503].map((s) => [
    String(s),
    { description: "Refused (Cloudflare envelope)", content: errorContent },
  ]);
  return {
    tags: ["Ingest"],
    operationId: `ingest_${name.replace(/-/g, "_")}`,
    summary: source.rules.length
      ? `Ingest, routed by rules (default queue "${source.queue}")`
      : `Ingest into queue "${source.queue}"`,
    description: [
      providerOf(source.auth).openapi.description,
      `Format: ${source.format}. Cap: ${source.max_body_bytes} bytes${source.content_encodings.length ? ` (${source.content_encodings.join("/")} accepted, inflated up to the cap)` : ""}.`,
      source.batch ? "JSON arrays and NDJSON are batches of up to 100 items, all or nothing." : "",
      describeRules(source.rules, source.queue),
    ]
      .filter(Boolean)
      .join(" "),
    security: security(name, source).requirement,
    parameters: [
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        schema: { type: "string" },
        description: "Deduplicates repeats within the source's window",
      },
    ],
    requestBody: { required: true, content: mediaTypes(source) },
    responses: {
      "202": {
        description: "Accepted: the gateway owns the messages",
        content: { "application/json": { schema: z.toJSONSchema(Accepted) } },
      },
      "200": {
        description: "A repeat of a delivery already accepted (duplicate: true)",
        content: { "application/json": { schema: z.toJSONSchema(Accepted) } },
      },
      ...(source.form && {
        "303": { description: "Browsers (Accept: text/html) are redirected to the success or error page" },
      }),
      ...Object.fromEntries(errors),
    },
  };
}

export async function openApiDocument(app: Hono<AppEnv>, c: Context<AppEnv>, config: GatewayConfig): Promise<Json> {
  const spec = (await generateSpecs(
    app,
    {
      documentation: {
        openapi: "3.1.0",
        info: {
          title: "Tributary",
          version: "0.1.0",
          description: "HTTP ingest gateway and Cloudflare-compatible Queues messages API.",
        },
        // Relative: the request's Host is the client's to choose, and must not be echoed back.
        servers: [{ url: "/" }],
        components: {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer", description: "A gateway API key" },
            basic: { type: "http", scheme: "basic" },
          },
        },
      },
      defaultValidationErrorResponse: false,
    },
    c,
  )) as unknown as Json & { paths: Record<string, Json>; components: { securitySchemes: Record<string, Json> } };
  // The document's own route (hono-openapi leaves out the route that is generating it).
  spec.paths["/openapi.json"] ??= {
    get: {
      tags: ["Operations"],
      summary: "This OpenAPI 3.1 document",
      responses: { "200": { description: "OpenAPI JSON" } },
    },
  };
  for (const [name, source] of Object.entries(config.sources)) {
    // Write-key sources are served at /v1/* (documented by their routes), not under /ingest.
    if (!isWebhookSource(source)) continue;
    spec.paths[`/ingest/${name}`] = { post: sourceOperation(name, source) };
    const { scheme } = security(name, source);
    if (scheme) spec.components.securitySchemes[scheme[0]] = scheme[1];
  }
  return spec;
}
