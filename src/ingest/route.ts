/**
 * `POST /ingest/:source`: authenticate and verify over the raw bytes (read once), parse,
 * validate, normalize, deduplicate, enqueue. Each step is a pure function returning a Result;
 * this handler sequences them and turns the first failure into an answer through `ingestError`.
 * Browsers posting forms get 303 redirects instead of JSON.
 */
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";
import { GatewayError, ok } from "../http/errors";
import { documented } from "../openapi/describe";
import { newMessageId } from "../queues/ids";
import { signedUrl, verifySource } from "../verify";
import { readBody } from "./body";
import { deliver } from "./deliver";
import { deliveryOf } from "./delivery";
import { describe, headerAllowlist, pickHeaders } from "./describe";
import { fieldValue, honeypotFilled, htmlPage, redirectTarget, TURNSTILE_FIELD, verifyTurnstile, wantsHtml, withoutFields } from "./forms";
import { duplicateKeyPath } from "./json-duplicates";
import { mediaType } from "./media";
import { checkSizes, normalize } from "./normalize";
import { type Item, parseBody } from "./parse";
import { checkRateLimit } from "./rate-limit";
import { ingestError } from "./respond";
import { type FieldIssue, fail, type IngestFailure, type Result, success } from "./result";
import type { SourceConfig } from "./source-schema";

/** Auth kinds that never read the body. */
const HEADER_ONLY_AUTH = new Set<SourceConfig["auth"]["kind"]>(["key", "basic", "none"]);

type IngestEnv = AppEnv & { Variables: { source: SourceConfig; sourceName: string } };

export interface IngestAnswer {
  ids: string[];
  items?: { index: number; id: string }[];
  duplicate?: true;
}

class Refused extends Error {
  constructor(readonly failure: IngestFailure) {
    super(failure.reason);
  }
}

/** Unwraps a Result or stops the pipeline with its failure. */
function must<T>(result: Result<T>): T {
  if (!result.ok) throw new Refused(result);
  return result.value;
}

const corsBySource = new WeakMap<SourceConfig, ReturnType<typeof cors>>();

export const ingestRoutes = new Hono<IngestEnv>().use("/:source", async function source(c, next) {
  const name = c.req.param("source");
  const config = c.var.config;
  const found = Object.hasOwn(config.sources, name) ? config.sources[name] : undefined;
  if (!found) throw ingestError({ reason: "unknown_source" });
  c.set("source", found);
  c.set("sourceName", name);
  c.set("log", { ...c.var.log, source: name, queue: found.queue });
  if (!found.cors) return next();
  let handler = corsBySource.get(found);
  if (!handler) {
    const origins = found.cors.origins;
    handler = cors({ origin: origins.includes("*") ? "*" : origins, allowMethods: ["POST", "OPTIONS"], allowHeaders: [], maxAge: 86_400 });
    corsBySource.set(found, handler);
  }
  return handler(c, next);
});

// Documented per configured source by src/openapi/document.ts.
ingestRoutes.post("/:source", documented({ hide: true }), async (c) => {
  const source = c.var.source;
  const html = wantsHtml(c.req.header("accept"), source.form);
  try {
    const answer = await ingest(c, source);
    if (answer instanceof Response) return answer;
    c.set("log", { ...c.var.log, messages: answer.duplicate ? 0 : answer.ids.length, ...(answer.duplicate && { duplicate: true }) });
    if (html && source.form) return browserAnswer(c, source.form.success_url, "Thank you", "Your submission was received.");
    return c.json(ok(answer), answer.duplicate ? 200 : 202);
  } catch (err) {
    const error = err instanceof Refused ? refusal(c, err.failure) : err;
    if (html && source.form && error instanceof GatewayError) {
      return browserAnswer(c, redirectTarget(source.form, error.errors[0]?.code), "Submission failed", error.message, error.status);
    }
    throw error;
  }
});

function refusal(c: Context<IngestEnv>, failure: IngestFailure): GatewayError {
  c.set("log", { ...c.var.log, refused: failure.reason, ...(failure.reason === "unauthorized" && { verify: failure.why }) });
  return ingestError(failure);
}

function browserAnswer(c: Context<IngestEnv>, target: string | undefined, title: string, message: string, status: 200 | number = 200) {
  if (target) return c.redirect(target, 303);
  return c.html(htmlPage(title, message), status as 200);
}

async function ingest(c: Context<IngestEnv>, source: SourceConfig): Promise<IngestAnswer | Response> {
  const config = c.var.config;
  const ip = c.req.header("cf-connecting-ip");
  if (source.rate_limit?.by === "ip") must(await checkRateLimit(c.env, source.rate_limit.binding, `ip:${ip ?? "unknown"}`));

  const contentType = c.req.header("content-type") ?? "";
  const media = mediaType(contentType);
  if (!media || !source.accept.includes(media.kind)) {
    throw new Refused({ reason: "unsupported_media_type", detail: source.accept.join(", ") });
  }
  // Schemes that read only headers (keys, Basic, none) authenticate before the body is read or
  // inflated, so an unauthenticated request costs no more than its headers.
  const verify = (body: Uint8Array) =>
    verifySource(source, config.keys, {
      body,
      headers: c.req.raw.headers,
      url: signedUrl(c.req.url, source.auth.kind === "twilio" ? source.auth.public_base_url : undefined),
      nowSeconds: Math.floor(Date.now() / 1000),
    });
  const early = HEADER_ONLY_AUTH.has(source.auth.kind) ? await verify(new Uint8Array(0)) : undefined;
  if (early && !early.result.ok) throw new Refused({ reason: "unauthorized", why: early.result.reason });
  const body = must(await readBody(c, source.max_body_bytes, source.content_encodings));
  const check = early ?? (await verify(body));
  if (!check.result.ok) throw new Refused({ reason: "unauthorized", why: check.result.reason });
  if (check.keyName) c.set("log", { ...c.var.log, key: check.keyName });
  if (source.rate_limit?.by === "key") must(await checkRateLimit(c.env, source.rate_limit.binding, `key:${check.keyName ?? ip ?? "unknown"}`));

  const parsed = must(await parseBody(body, media, contentType, source));
  let items = parsed.items;

  if (source.auth.kind === "slack") {
    const challenge = slackChallenge(items);
    if (challenge !== undefined) return c.json({ challenge });
  }

  if (source.form) {
    const form = source.form;
    if (items.some((item) => honeypotFilled(item, form.honeypot))) {
      // Indistinguishable from success for the bot; nothing is enqueued.
      c.set("log", { ...c.var.log, honeypot: true });
      return { ids: items.map(() => newMessageId()) };
    }
    if (form.turnstile) {
      const token = items[0] ? fieldValue(items[0], TURNSTILE_FIELD) : undefined;
      if (!(await verifyTurnstile(config.turnstile_secret ?? "", token, ip))) throw new Refused({ reason: "turnstile_failed" });
    }
    items = items.map((item) => withoutFields(item, [form.honeypot, TURNSTILE_FIELD]));
  }

  if (source.schema) {
    must(noDuplicateKeys(items, parsed.batch));
    must(validate(source.schema, items, parsed.batch));
  }

  const receivedAt = new Date().toISOString();
  const headers = pickHeaders(c.req.raw.headers, headerAllowlist(source));
  const requestKey = c.req.header("idempotency-key") ?? null;
  // A batch is one delivery: the client's Idempotency-Key identifies it; a single item may
  // carry the provider's own delivery id.
  const descriptions = items.map((item) => describe(source, c.req.raw.headers, item));
  const deliveryId = parsed.batch ? requestKey : (descriptions[0]?.delivery_id ?? null);
  const normalized = items.map((item, i) =>
    normalize(
      source.format,
      item,
      { event: descriptions[i]?.event ?? null, delivery_id: deliveryId, source: c.var.sourceName, received_at: receivedAt, content_type: media.type, headers },
      source.delay_seconds,
    ),
  );
  const messages = normalized.map((n) => n.message);
  must(checkSizes(messages));
  const ids = normalized.map((n) => n.id);
  const delivery = await deliveryOf({ sourceName: c.var.sourceName, source, caller: check.keyName, id: deliveryId, body });
  const delivered = await deliver(config, c.env, source.queue, normalized, delivery);
  if (!delivered.ok) {
    if (delivered.reason === "upstream_unavailable") c.set("errorDetail", delivered.detail);
    throw new Refused(delivered);
  }
  if (delivered.value.duplicateOf) return { ids: delivered.value.duplicateOf, duplicate: true };
  return parsed.batch ? { ids, items: ids.map((id, index) => ({ index, id })) } : { ids };
}

function validate(schema: NonNullable<SourceConfig["schema"]>, items: Item[], batch: boolean): Result<void> {
  const issues: FieldIssue[] = [];
  for (const [index, item] of items.entries()) {
    const result = schema.safeParse(item.data);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      issues.push({ path: [...(batch ? [index] : []), ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
    }
  }
  return issues.length ? { ok: false, reason: "validation_failed", issues } : { ok: true, value: undefined };
}

/** Schema sources forward the text they validated: it must mean the same to every JSON parser. */
function noDuplicateKeys(items: Item[], batch: boolean): Result<void> {
  for (const [index, item] of items.entries()) {
    const path = item.kind === "json" ? duplicateKeyPath(item.json) : undefined;
    if (path) return fail({ reason: "duplicate_json_key", path: batch ? [index, ...path] : path });
  }
  return success(undefined);
}

function slackChallenge(items: Item[]): string | undefined {
  const [item] = items;
  if (items.length !== 1 || item?.kind !== "json") return undefined;
  const data = item.data as { type?: unknown; challenge?: unknown } | null;
  return data?.type === "url_verification" && typeof data.challenge === "string" ? data.challenge : undefined;
}
