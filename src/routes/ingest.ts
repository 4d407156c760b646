/**
 * `/ingest/:source`. A POST runs named steps over one Result type, reading the raw body once:
 * challenge → media type → header-only auth → read → verify → rate limit → parse → handshake →
 * form checks → schema → normalize → route (the source's rules, src/rules/) → deliver. The first
 * failure becomes an answer through `ingestError`; handshakes are answered and never enqueued.
 * GET and HEAD reach the provider's challenge (Meta, Dropbox, X), if it has one. Browsers posting
 * forms get 303 redirects.
 */

import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../config/env";
import { isWebhookSource, type WebhookSource } from "../config/source-schema";
import { inBackground } from "../http/background";
import { GatewayError, ok } from "../http/errors";
import { notFound } from "../http/on-error";
import { readBody } from "../ingest/body";
import { deliver } from "../ingest/deliver";
import { deliveryOf } from "../ingest/delivery";
import { fanOut } from "../ingest/fan-out";
import {
  fieldValue,
  honeypotFilled,
  htmlPage,
  redirectTarget,
  TURNSTILE_FIELD,
  verifyTurnstile,
  wantsHtml,
  withoutFields,
} from "../ingest/forms";
import { duplicateKeyPath } from "../ingest/json-duplicates";
import { checkSizes, type Normalized, normalize } from "../ingest/normalize";
import { type Item, type Parsed, parseBody } from "../ingest/parse";
import { checkRateLimit } from "../ingest/rate-limit";
import { ingestError } from "../ingest/respond";
import { newMessageId } from "../lib/ids";
import { mediaType } from "../lib/media";
import { type Failure, type FieldIssue, fail, must, Refused, type Result, success } from "../lib/result";
import { signedUrl } from "../lib/url";
import { documented } from "../openapi/route-docs";
import { providerOf } from "../providers";
import { headerAllowlist, pickHeaders } from "../providers/headers";
import type { HandshakeAnswer, Verified } from "../providers/provider";
import { noteRefusal } from "../refusals/record";
import { countDecisions } from "../rules/counters";
import { decide, type RuleInput } from "../rules/match";

type IngestEnv = AppEnv & { Variables: { source: WebhookSource; sourceName: string } };
type IngestContext = Context<IngestEnv>;

/**
 * What an accepted request is told: the ids of the messages enqueued, the queues they went to,
 * how many the rules dropped, and for batches where each item went. A repeat is told
 * `duplicate: true` with the ids the queues kept.
 */
export interface IngestAnswer {
  ids: string[];
  queues?: string[];
  dropped?: number;
  /** Per batch item; with rules, also where each went (dropped items have no id). */
  items?: ({ index: number; id: string; queues?: string[] } | { index: number; queues: []; dropped: true })[];
  duplicate?: true;
}

const corsBySource = new WeakMap<WebhookSource, ReturnType<typeof cors>>();
const nowSeconds = () => Math.floor(Date.now() / 1000);

export const ingestRoutes = new Hono<IngestEnv>().use("/:source", async function source(c, next) {
  const name = c.req.param("source");
  const config = c.get("config");
  const found = Object.hasOwn(config.sources, name) ? config.sources[name] : undefined;
  // Write-key sources speak Segment's protocol, at /v1/* (src/routes/tracking.ts), not here.
  if (!found || !isWebhookSource(found)) throw ingestError({ reason: "unknown_source" });
  c.set("source", found);
  c.set("sourceName", name);
  c.set("log", { ...c.get("log"), source: name, queue: found.queue });
  if (!found.cors) return next();
  let handler = corsBySource.get(found);
  if (!handler) {
    const origins = found.cors.origins;
    handler = cors({
      origin: origins.includes("*") ? "*" : origins,
      allowMethods: ["POST", "OPTIONS"],
      allowHeaders: [],
      maxAge: 86_400,
    });
    corsBySource.set(found, handler);
  }
  return handler(c, next);
});

// Documented per configured source by src/openapi/document.ts.
ingestRoutes.on(["GET", "HEAD"], "/:source", documented({ hide: true }), async (c) => {
  const answer = await challenge(c, c.get("source"));
  if (!answer) notFound();
  c.set("log", { ...c.get("log"), handshake: true });
  return handshakeResponse(c, answer);
});

ingestRoutes.post("/:source", documented({ hide: true }), async (c) => {
  const source = c.get("source");
  const html = wantsHtml(c.req.header("accept"), source.form);
  try {
    const answer = await ingest(c, source);
    if (answer instanceof Response) return answer;
    c.set("log", {
      ...c.get("log"),
      messages: answer.duplicate ? 0 : answer.ids.length,
      ...(answer.duplicate && { duplicate: true }),
    });
    if (html && source.form)
      return browserAnswer(c, source.form.success_url, "Thank you", "Your submission was received.");
    if (source.response && !answer.duplicate) return customAnswer(c, source.response, answer.ids);
    return c.json(ok(answer), answer.duplicate ? 200 : 202);
  } catch (err) {
    const error = err instanceof Refused ? refusal(c, err.failure) : err;
    if (html && source.form && error instanceof GatewayError) {
      return browserAnswer(
        c,
        redirectTarget(source.form, error.errors[0]?.code),
        "Submission failed",
        error.message,
        error.status,
      );
    }
    throw error;
  }
});

async function ingest(c: IngestContext, source: WebhookSource): Promise<IngestAnswer | Response> {
  const provider = providerOf(source.auth);
  const ip = c.req.header("cf-connecting-ip");
  if (source.rate_limit?.by === "ip")
    must(await checkRateLimit(c.env, source.rate_limit.binding, `ip:${ip ?? "unknown"}`));

  const unsigned = await challenge(c, source);
  if (unsigned) return handshakeResponse(c, unsigned);

  const contentType = c.req.header("content-type") ?? "";
  const media = mediaType(contentType);
  if (!media || !source.accept.includes(media.kind))
    must(fail({ reason: "unsupported_media_type", detail: source.accept.join(", ") }));

  // Schemes that read only headers authenticate before the body is read or inflated, so an
  // unauthenticated request costs no more than its headers.
  const early = provider.readsBody ? undefined : must(await verify(c, source, new Uint8Array(0)));
  const body = must(await readBody(c, source.max_body_bytes, source.content_encodings));
  const verified = early ?? must(await verify(c, source, body));
  if (verified.caller) c.set("log", { ...c.get("log"), key: verified.caller });
  if (source.rate_limit?.by === "key")
    must(await checkRateLimit(c.env, source.rate_limit.binding, `key:${verified.caller ?? ip ?? "unknown"}`));

  const parsed = must(await parseBody(body, media!, contentType, source));
  const [first] = parsed.items;
  if (provider.handshake && parsed.items.length === 1 && first) {
    const answer = await provider.handshake(source.auth, first.data, c.req.raw.headers);
    if (answer) {
      c.set("log", { ...c.get("log"), handshake: true });
      return handshakeResponse(c, answer);
    }
  }
  const items = source.form ? await formChecks(c, source, parsed.items, ip) : parsed.items;
  if (items.length === 0) return { ids: parsed.items.map(() => newMessageId()), queues: [source.queue] }; // honeypot: looks like success
  if (source.schema) must(validate(source.schema, items, parsed.batch));

  const built = envelopes(c, source, items, parsed, media!.type);
  const { messages } = built;
  must(checkSizes(messages.map((m) => m.message)));
  const delivery = await deliveryOf({
    sourceName: c.get("sourceName"),
    source,
    caller: verified.caller,
    id: built.deliveryId,
    body,
  });
  if (source.rules.length) return routeByRules(c, source, parsed.batch, built, delivery);
  const delivered = await deliver(c.get("config"), c.env, source.queue, [{ messages, ...(delivery && { delivery }) }]);
  if (!delivered.ok && delivered.reason === "upstream_unavailable") c.set("errorDetail", delivered.detail);
  const [outcome] = must(delivered);
  if (outcome?.state === "conflict") must(fail({ reason: "idempotency_conflict" }));
  if (outcome?.state === "duplicate") return { ids: outcome.ids, duplicate: true };
  const ids = messages.map((m) => m.id);
  const queues = [source.queue];
  return parsed.batch ? { ids, queues, items: ids.map((id, index) => ({ index, id })) } : { ids, queues };
}

/**
 * The source's rules decide each message's queues (src/rules/match.ts); the messages go to all of
 * them as one delivery (./fan-out.ts). Dropped messages go nowhere and the answer still says 2xx.
 * Accepted requests are counted (src/rules/counters.ts) after the answer, never repeats.
 */
async function routeByRules(
  c: IngestContext,
  source: WebhookSource,
  batch: boolean,
  built: Envelopes,
  delivery: Awaited<ReturnType<typeof deliveryOf>>,
): Promise<IngestAnswer> {
  const decisions = built.inputs.map((input) => decide(source.rules, input, source.queue));
  const targets = decisions.map((d) => d.queues);
  const routed = await fanOut(c.get("config"), c.env, {
    sourceQueue: source.queue,
    targets,
    messages: built.messages,
    withId: built.withId,
    delivery,
  });
  if (!routed.ok && routed.reason === "upstream_unavailable") c.set("errorDetail", routed.detail);
  const result = must(routed);
  if (result.state === "duplicate") return { ids: result.ids, duplicate: true };
  countDecisions(c.env, c.get("sourceName"), source.rules, decisions, (work) => inBackground(c, work));
  const dropped = decisions.filter((d) => d.dropped).length;
  c.set("log", { ...c.get("log"), queues: result.queues.join(","), ...(dropped > 0 && { dropped }) });
  const answer: IngestAnswer = {
    ids: result.ids.filter((_, i) => !decisions[i]!.dropped),
    queues: result.queues,
    ...(dropped > 0 && { dropped }),
  };
  if (!batch) return answer;
  const itemsOf = decisions.map((d, index) =>
    d.dropped
      ? { index, queues: [] as [], dropped: true as const }
      : { index, id: result.ids[index]!, queues: d.queues },
  );
  return { ...answer, items: itemsOf };
}

/** The provider's answer to a request that is a challenge, not a delivery (answered from the request line). */
async function challenge(c: IngestContext, source: WebhookSource): Promise<HandshakeAnswer | undefined> {
  const provider = providerOf(source.auth);
  if (!provider.challenge) return undefined;
  return provider.challenge(source.auth, {
    method: c.req.method,
    url: new URL(c.req.url),
    headers: c.req.raw.headers,
    nowSeconds: nowSeconds(),
  });
}

function verify(c: IngestContext, source: WebhookSource, body: Uint8Array): Promise<Result<Verified>> {
  const auth = source.auth;
  const publicBase = "public_base_url" in auth ? auth.public_base_url : undefined;
  return providerOf(auth).verify(
    auth,
    {
      body,
      headers: c.req.raw.headers,
      method: c.req.method,
      url: signedUrl(c.req.url, publicBase),
      nowSeconds: nowSeconds(),
    },
    { keys: c.get("config").keys, queue: source.queue },
  );
}

/** Honeypot (filled: nothing is enqueued, the answer looks like success), Turnstile, and the gateway's own fields removed. */
async function formChecks(
  c: IngestContext,
  source: WebhookSource,
  items: Item[],
  ip: string | undefined,
): Promise<Item[]> {
  const form = source.form!;
  if (items.some((item) => honeypotFilled(item, form.honeypot))) {
    c.set("log", { ...c.get("log"), honeypot: true });
    return [];
  }
  if (form.turnstile) {
    const token = items[0] ? fieldValue(items[0], TURNSTILE_FIELD) : undefined;
    if (!(await verifyTurnstile(c.get("config").turnstile_secret ?? "", token, ip)))
      must(fail({ reason: "turnstile_failed" }));
  }
  return items.map((item) => withoutFields(item, [form.honeypot, TURNSTILE_FIELD]));
}

/** Schema sources forward the text they validated: it must mean the same to every JSON parser. */
function validate(schema: NonNullable<WebhookSource["schema"]>, items: Item[], batch: boolean): Result<void> {
  for (const [index, item] of items.entries()) {
    const path = item.kind === "json" ? duplicateKeyPath(item.json) : undefined;
    if (path) return fail({ reason: "duplicate_json_key", path: batch ? [index, ...path] : path });
  }
  const issues: FieldIssue[] = [];
  for (const [index, item] of items.entries()) {
    const result = schema.safeParse(item.data);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      issues.push({
        path: [...(batch ? [index] : []), ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
        message: issue.message,
      });
    }
  }
  return issues.length ? fail({ reason: "validation_failed", issues }) : success(undefined);
}

interface Envelopes {
  messages: Normalized[];
  deliveryId: string | null;
  /** What the source's rules see of each message. */
  inputs: RuleInput[];
  /** Message i again, under another id. */
  withId(index: number, id: string): Normalized;
}

/** One message per item, each named by the provider (event, delivery id) and carrying the allowlisted headers. */
function envelopes(
  c: IngestContext,
  source: WebhookSource,
  items: Item[],
  parsed: Parsed,
  mediaTypeName: string,
): Envelopes {
  const provider = providerOf(source.auth);
  const headers = c.req.raw.headers;
  const requestKey = headers.get("idempotency-key");
  const identities = items.map((item) => {
    const named = provider.identify(headers, item.data);
    return {
      event: named.event ?? (source.event_field ? eventField(item.data, source.event_field) : null),
      delivery_id: named.delivery_id ?? requestKey,
    };
  });
  // A batch is one delivery: the client's Idempotency-Key identifies it.
  const deliveryId = parsed.batch ? requestKey : (identities[0]?.delivery_id ?? null);
  const receivedAt = new Date().toISOString();
  const forwarded = pickHeaders(headers, headerAllowlist(source));
  const build = (i: number, id?: string) =>
    normalize(
      source.format,
      items[i]!,
      {
        event: identities[i]?.event ?? null,
        delivery_id: deliveryId,
        source: c.get("sourceName"),
        received_at: receivedAt,
        content_type: mediaTypeName,
        headers: forwarded,
      },
      source.delay_seconds,
      id,
    );
  return {
    messages: items.map((_, i) => build(i)),
    deliveryId,
    inputs: items.map((item, i) => ({ event: identities[i]?.event ?? null, headers: forwarded, data: item.data })),
    withId: build,
  };
}

function eventField(data: unknown, name: string): string | null {
  if (typeof data !== "object" || data === null || !Object.hasOwn(data, name)) return null;
  const value = (data as Record<string, unknown>)[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

function refusal(c: IngestContext, failure: Failure): GatewayError {
  c.set("log", { ...c.get("log"), refused: failure.reason === "unauthorized" ? failure.why : failure.reason });
  return noteRefusal(c, c.get("sourceName"), ingestError(failure));
}

function handshakeResponse(c: IngestContext, answer: HandshakeAnswer): Response {
  if (answer.status === 204) return c.body(null, 204);
  // The echo is the sender's own challenge: never let a browser read it as markup.
  const headers = {
    "content-type": answer.contentType ?? "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  };
  return c.req.method === "HEAD" ? c.body(null, answer.status, headers) : c.body(answer.body, answer.status, headers);
}

function customAnswer(c: IngestContext, response: NonNullable<WebhookSource["response"]>, ids: string[]): Response {
  const body = response.body.replaceAll("{{ids}}", JSON.stringify(ids)).replaceAll("{{id}}", ids[0] ?? "");
  return c.body(body, response.status as 200, { "content-type": response.content_type });
}

function browserAnswer(
  c: IngestContext,
  target: string | undefined,
  title: string,
  message: string,
  status: 200 | number = 200,
) {
  if (target) return c.redirect(target, 303);
  return c.html(htmlPage(title, message), status as 200);
}
