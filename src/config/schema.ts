/**
 * The gateway's configuration, as zod schemas: the schemas are the types. The values come from
 * src/config/gateway.ts (code: queue names, sources) and from vars and secrets (per deployment:
 * upstream kinds, queue ids, key hashes, tokens). `loadConfig` validates the result once.
 */
import * as z from "zod";
import { KeyConfig, WriteKeyConfig } from "../auth/schemas";
import { QueueConfig, QueueName } from "../queues/config";
import { ruleIssues } from "../rules/check";
import { SourceConfig } from "./source-schema";

export const GatewayConfig = z
  .object({
    environment: z.string(),
    account_id: z.string(),
    api_base_url: z.url(),
    api_token: z.string().optional(),
    /** How long one Cloudflare API call may take before it counts as failed (504). */
    api_timeout_ms: z.number().int().min(1).max(60_000).default(10_000),
    queues: z.record(QueueName, QueueConfig),
    keys: z.array(KeyConfig),
    write_keys: z.array(WriteKeyConfig).default([]),
    sources: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "source names are lowercase letters, digits, - and _"),
      SourceConfig,
    ),
    /** Cloudflare Turnstile secret, for form sources with `turnstile: true`. */
    turnstile_secret: z.string().optional(),
    /** GET /openapi.json and /docs. Strict: a typo such as "FALSE" must not leave them on. Unset is off. */
    docs_enabled: z
      .enum(["true", "false"], { error: 'DOCS_ENABLED must be "true" or "false"' })
      .transform((flag) => flag === "true")
      .default(false),
    /**
     * Share of successful requests (status < 400) that log a line, 0 to 1: the line is the
     * largest per-request cost after the durable write. Refusals and errors always log. Unset is 1.
     */
    log_success_sample_rate: z.coerce
      .number({ error: "LOG_SUCCESS_SAMPLE_RATE must be a number from 0 to 1" })
      .min(0, "LOG_SUCCESS_SAMPLE_RATE must be a number from 0 to 1")
      .max(1, "LOG_SUCCESS_SAMPLE_RATE must be a number from 0 to 1")
      .default(1),
    /** GET /console (the operator console). Strict like docs_enabled: a typo must not switch it on. Unset is off. */
    console_enabled: z
      .enum(["true", "false"], { error: 'CONSOLE_ENABLED must be "true" or "false"' })
      .transform((flag) => flag === "true")
      .default(false),
  })
  .superRefine((config, ctx) => {
    for (const [name, queue] of Object.entries(config.queues)) {
      const at = (field: string) => ["queues", name, field];
      if (queue.dead_letter_queue !== undefined && !Object.hasOwn(config.queues, queue.dead_letter_queue)) {
        ctx.addIssue({
          code: "custom",
          path: at("dead_letter_queue"),
          message: `no queue named "${queue.dead_letter_queue}"`,
        });
      }
      const target = queue.dead_letter_queue === undefined ? undefined : config.queues[queue.dead_letter_queue];
      if (queue.upstream === "local" && target && target.upstream !== "local") {
        ctx.addIssue({
          code: "custom",
          path: at("dead_letter_queue"),
          message: "a local queue's dead-letter queue must be local too (Cloudflare queues set theirs on Cloudflare)",
        });
      }
      if (queue.dead_letter_queue === name) {
        ctx.addIssue({
          code: "custom",
          path: at("dead_letter_queue"),
          message: "a queue cannot be its own dead-letter queue",
        });
      }
      if (queue.upstream !== "local" && queue.cloudflare_id === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at("cloudflare_id"),
          message: `required for the ${queue.upstream} upstream (set cloudflare_id in [vars.QUEUES])`,
        });
      }
      if (queue.upstream !== "local" && !config.api_token) {
        ctx.addIssue({
          code: "custom",
          path: ["api_token"],
          message: `required for the ${queue.upstream} upstream (wrangler secret put QUEUES_API_TOKEN)`,
        });
      }
      if (queue.upstream !== "local" && !config.account_id) {
        ctx.addIssue({
          code: "custom",
          path: ["account_id"],
          message: "required for Cloudflare upstreams (set QUEUES_ACCOUNT_ID)",
        });
      }
      if (queue.upstream === "binding" && !queue.binding) {
        ctx.addIssue({ code: "custom", path: at("binding"), message: "required for the binding upstream" });
      }
    }
    for (const [name, source] of Object.entries(config.sources)) {
      if (!Object.hasOwn(config.queues, source.queue)) {
        ctx.addIssue({ code: "custom", path: ["sources", name, "queue"], message: `no queue named "${source.queue}"` });
      }
      for (const issue of ruleIssues(source, (queue) => Object.hasOwn(config.queues, queue))) {
        ctx.addIssue({ code: "custom", path: ["sources", name, ...issue.path], message: issue.message });
      }
      if (source.form?.turnstile && !config.turnstile_secret) {
        ctx.addIssue({
          code: "custom",
          path: ["sources", name, "form", "turnstile"],
          message: "needs the TURNSTILE_SECRET_KEY secret",
        });
      }
      const limit = source.rate_limit;
      const at = (...field: string[]) => ["sources", name, ...field];
      if (source.auth.kind === "write_key") {
        if (limit && limit.by !== "ip") {
          ctx.addIssue({
            code: "custom",
            path: at("rate_limit", "by"),
            message: "write keys are public: a write_key source is limited per client (ip)",
          });
        }
        // Segment's protocol fixes the payload, the format and the answer of a write_key source.
        for (const field of ["schema", "form", "response", "event_field"] as const) {
          if (source[field] !== undefined)
            ctx.addIssue({
              code: "custom",
              path: at(field),
              message: "does not apply to a write_key source (Segment's protocol)",
            });
        }
        if (source.format !== "envelope")
          ctx.addIssue({ code: "custom", path: at("format"), message: "a write_key source sends envelopes" });
      } else if (limit?.user_binding !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: at("rate_limit", "user_binding"),
          message: "only write_key sources are limited per end user",
        });
      }
    }
    const secretHashes = new Set(config.keys.map((k) => k.sha256));
    const writeKeyNames = new Set<string>();
    for (const [i, key] of config.write_keys.entries()) {
      const source = Object.hasOwn(config.sources, key.source) ? config.sources[key.source] : undefined;
      if (!source)
        ctx.addIssue({ code: "custom", path: ["write_keys", i, "source"], message: `no source named "${key.source}"` });
      else if (source.auth.kind !== "write_key") {
        ctx.addIssue({
          code: "custom",
          path: ["write_keys", i, "source"],
          message: `source "${key.source}" is not a write_key source`,
        });
      }
      // A key both public and secret would hand anyone holding the app the secret key's scopes.
      if (secretHashes.has(key.sha256))
        ctx.addIssue({
          code: "custom",
          path: ["write_keys", i, "sha256"],
          message: "the same key is also a gateway key",
        });
      if (writeKeyNames.has(key.name))
        ctx.addIssue({ code: "custom", path: ["write_keys", i, "name"], message: "write key names must be unique" });
      writeKeyNames.add(key.name);
    }
    for (const [i, key] of config.keys.entries()) {
      if (key.queues === "*") continue;
      for (const q of key.queues) {
        if (!Object.hasOwn(config.queues, q))
          ctx.addIssue({ code: "custom", path: ["keys", i, "queues"], message: `no queue named "${q}"` });
      }
    }
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;
