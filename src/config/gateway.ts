/**
 * THE configuration module: it assembles queues (below) and ingest sources (./sources.ts) with
 * whatever differs per deployment — upstream kinds, Cloudflare ids, tokens, key hashes, webhook
 * secrets — read from vars and secrets, so one codebase serves every environment.
 */

import { jsonVar, secretList } from "../lib/vars";
import { secretFieldsOf } from "../providers";
import type { QueueConfig } from "../queues/config";
import type { GatewayConfigInput } from "./schema";
import type { SourceConfigInput } from "./source-schema";
import { PRESETS, SOURCES } from "./sources";

/** The queues and their local-queue policy; `[vars.QUEUES]` may override any field or add queues. */
const QUEUES: Record<string, Partial<QueueConfig>> = {
  webhooks: { dead_letter_queue: "dead-letters" },
  // GitHub's pushes, by the example `github` source's rules (src/config/sources.ts).
  builds: { dead_letter_queue: "dead-letters" },
  events: { dead_letter_queue: "dead-letters" },
  forms: { dead_letter_queue: "dead-letters" },
  "dead-letters": {},
};

export function gatewayConfig(env: Env): GatewayConfigInput {
  const vars = env as unknown as Record<string, unknown>;
  const overrides = jsonVar(env.SOURCES, "SOURCES", {}) as Record<string, unknown>;
  return {
    environment: env.ENVIRONMENT,
    account_id: env.QUEUES_ACCOUNT_ID,
    api_base_url: env.QUEUES_API_BASE_URL,
    api_token: env.QUEUES_API_TOKEN || undefined,
    api_timeout_ms: Number(env.QUEUES_API_TIMEOUT_MS),
    queues: merge(QUEUES, jsonVar(env.QUEUES, "QUEUES", {}), (_name, queue) => ({
      upstream: env.QUEUE_UPSTREAM as QueueConfig["upstream"],
      ...queue,
    })),
    keys: jsonVar(env.GATEWAY_KEYS, "GATEWAY_KEYS", []),
    write_keys: jsonVar(env.WRITE_KEYS, "WRITE_KEYS", []),
    sources: merge(enabledSources(env.PRESET_SOURCES, overrides), overrides, (_name, source) =>
      withSecrets(source, vars),
    ),
    turnstile_secret: env.TURNSTILE_SECRET_KEY || undefined,
    docs_enabled: env.DOCS_ENABLED,
    console_enabled: env.CONSOLE_ENABLED,
    log_success_sample_rate: env.LOG_SUCCESS_SAMPLE_RATE || undefined,
  } as GatewayConfigInput;
}

/**
 * The code's sources a deployment serves: every non-preset source, and the provider presets that
 * PRESET_SOURCES names ("*" for all, as in development; a comma-separated list; empty for none),
 * plus any preset `[vars.SOURCES]` configures. A preset nobody enabled needs no secret.
 */
function enabledSources(
  presetList: string | undefined,
  overrides: Record<string, unknown>,
): Record<string, SourceConfigInput> {
  const list = (presetList ?? "").trim();
  const named = new Set(
    list
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const enabled = (name: string) => list === "*" || named.has(name) || Object.hasOwn(overrides, name);
  return Object.fromEntries(Object.entries(SOURCES).filter(([name]) => !Object.hasOwn(PRESETS, name) || enabled(name)));
}

/** Code defaults merged with per-deployment overrides (field by field), then finished by `finish`. */
function merge<T extends object>(
  defaults: Record<string, T>,
  overrides: unknown,
  finish: (name: string, value: T) => T,
): Record<string, T> {
  const extra = (overrides ?? {}) as Record<string, Partial<T>>;
  const names = new Set([...Object.keys(defaults), ...Object.keys(extra)]);
  return Object.fromEntries([...names].map((name) => [name, finish(name, { ...defaults[name], ...extra[name] } as T)]));
}

/**
 * Resolves the secrets a source's auth names (`secret: "GITHUB_WEBHOOK_SECRET"` → `secrets`, and
 * whatever other fields its provider declares): one value, or a JSON array for rotation.
 */
function withSecrets(source: SourceConfigInput, vars: Record<string, unknown>): SourceConfigInput {
  const auth = source.auth as Record<string, unknown> | undefined;
  if (!auth || typeof auth.kind !== "string") return source;
  const resolved: Record<string, unknown> = { ...auth };
  for (const [named, into] of Object.entries(secretFieldsOf(auth.kind))) {
    const name = auth[named];
    if (typeof name === "string") resolved[into] = secretList(vars[name], name);
  }
  return { ...source, auth: resolved } as SourceConfigInput;
}
