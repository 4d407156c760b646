/**
 * Ingest sources, as zod schemas (the schemas are the types). A source says which queue its
 * messages go to, how its producer authenticates (exactly one scheme), which body formats it
 * accepts, an optional payload schema, the message format, limits, browser options, and rules
 * that filter, route and fan out its events (src/rules/).
 * Secrets are named, not written: `secret: "GITHUB_WEBHOOK_SECRET"` is resolved from the
 * Worker's secrets when the configuration loads.
 */

import * as z from "zod";
import { WriteKeyAuth } from "../auth/write-keys";
import { BODY_KINDS } from "../lib/media";
import { SourceAuth } from "../providers";
import { DelaySeconds } from "../queues/schemas";
import { Rules } from "../rules/schema";

export const BodyKind = z.enum(BODY_KINDS);

/** Compressed bodies a source accepts (Content-Encoding); none unless the source declares them. */
export const ContentEncoding = z.enum(["gzip", "deflate"]);
export type ContentEncoding = z.infer<typeof ContentEncoding>;
export type BodyKind = z.infer<typeof BodyKind>;

/** Largest request a source takes by default, compressed or not. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;
const DAY_SECONDS = 86_400;

/**
 * Where browsers are sent after a post: an absolute http(s) URL, or a path on the gateway.
 * Browsers read `\` as `/` and drop tabs and newlines, so `/\evil.example` or `/\t/evil` would
 * become `//evil.example` (another site): a path is `/` not followed by `/` or `\`, with no
 * backslash, whitespace or control character anywhere.
 */
const RedirectPath = z.string().regex(/^\/(?![/\\])[^\\\s\p{Cc}]*$/u);
const RedirectTarget = z.union([z.url({ protocol: /^https?$/ }), RedirectPath], {
  error:
    "an absolute http(s) URL, or a path starting with a single / without backslashes, whitespace or control characters",
});

export const FormOptions = z.object({
  /** A field humans leave empty; bots fill it. Filled: answer like success, enqueue nothing. */
  honeypot: z.string().min(1).default("_gotcha"),
  success_url: RedirectTarget.optional(),
  error_url: RedirectTarget.optional(),
  /** Verify a Cloudflare Turnstile token (`cf-turnstile-response`) with TURNSTILE_SECRET_KEY. */
  turnstile: z.boolean().default(false),
  /** Multipart file parts up to this size are carried inline (base64); 0 refuses files. */
  max_file_bytes: z.number().int().min(0).max(64_000).default(0),
});
export type FormOptions = z.infer<typeof FormOptions>;

export const SourceConfig = z
  .object({
    queue: z.string(),
    /** A provider's scheme (src/providers/), or `write_key`: a Segment-compatible source served at /v1/* (src/segment/). */
    auth: z.discriminatedUnion("kind", [
      WriteKeyAuth,
      SourceAuth as unknown as z.ZodDiscriminatedUnion<[z.ZodObject]>,
    ]) as unknown as z.ZodType<SourceAuth | WriteKeyAuth, unknown>,
    accept: z.array(BodyKind).min(1),
    /** JSON arrays (and NDJSON) are batches: one message per element. */
    batch: z.boolean().default(false),
    /** Validates each parsed payload; failures answer 422. */
    schema: z.custom<z.ZodType>((value) => value instanceof z.ZodType, "must be a zod schema").optional(),
    format: z.enum(["envelope", "raw"]).default("envelope"),
    max_body_bytes: z.number().int().min(1).max(100_000_000).default(DEFAULT_MAX_BODY_BYTES),
    /** Request headers copied into envelope messages, beyond the provider's defaults. */
    headers: z.array(z.string().toLowerCase()).default([]),
    /** JSON field naming the event, for sources whose provider has no event header. */
    event_field: z.string().optional(),
    delay_seconds: DelaySeconds.optional(),
    /**
     * How long a delivery is remembered to drop repeats; 0 turns deduplication off. Defaults to a
     * day, and to 0 for `auth: none` sources, where an anonymous sender could otherwise claim an
     * id before its real owner.
     */
    idempotency_window_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_SECONDS)
      .optional(),
    content_encodings: z.array(ContentEncoding).default([]),
    cors: z.object({ origins: z.array(z.string().min(1)).min(1) }).optional(),
    /**
     * A Workers rate-limiting binding, keyed by the app key's name or the client IP; null turns it
     * off. Write-key sources are limited per client: by IP, and with `user_binding` also per
     * end user (`user:<write key name>:<anonymousId or userId>`), never per key.
     */
    rate_limit: z
      .object({ binding: z.string(), by: z.enum(["key", "ip"]).default("ip"), user_binding: z.string().optional() })
      .nullish(),
    form: FormOptions.optional(),
    /**
     * The answer to an accepted delivery, for senders that expect a specific one (default: 202
     * with the JSON envelope). `{{id}}` and `{{ids}}` (JSON) are the gateway's message ids: no
     * client input is ever placed in it.
     */
    response: z
      .object({
        status: z.number().int().min(200).max(299).default(200),
        content_type: z.string().min(1).default("application/json"),
        body: z.string().max(4096).default(""),
      })
      .optional(),
    /**
     * Filter, route and fan out events, in order (src/rules/schema.ts); none: every event goes to
     * `queue`, which stays the default for events no rule routes. A deployment's override
     * replaces the whole list.
     */
    rules: Rules.default([]),
  })
  .transform((source) => ({
    ...source,
    idempotency_window_seconds: source.idempotency_window_seconds ?? (source.auth.kind === "none" ? 0 : DAY_SECONDS),
  }));
export type SourceConfig = z.infer<typeof SourceConfig>;
export type SourceConfigInput = z.input<typeof SourceConfig>;

/** A source served at /ingest/:source, authenticated by its provider's scheme. */
export type WebhookSource = SourceConfig & { auth: SourceAuth };
/** A source served at /v1/* (Segment's tracking API), authenticated by the write keys that name it. */
export type WriteKeySource = SourceConfig & { auth: WriteKeyAuth };

export const isWebhookSource = (source: SourceConfig): source is WebhookSource => source.auth.kind !== "write_key";
export const isWriteKeySource = (source: SourceConfig): source is WriteKeySource => source.auth.kind === "write_key";
