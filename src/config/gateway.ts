/**
 * THE configuration module: edit this file to declare queues (and ingest sources). Whatever
 * differs per deployment — upstream kinds, Cloudflare ids, tokens, key hashes — comes from vars
 * and secrets (wrangler.toml, `wrangler secret put`), so one codebase serves every environment.
 */
import type { GatewayConfigInput, QueueConfig } from "./schema";
import { jsonVar } from "./vars";

/** The queues and their local-queue policy; `[vars.QUEUES]` may override any field or add queues. */
const QUEUES: Record<string, Partial<QueueConfig>> = {
  webhooks: { dead_letter_queue: "dead-letters" },
  events: { dead_letter_queue: "dead-letters" },
  forms: { dead_letter_queue: "dead-letters" },
  "dead-letters": {},
};

export function gatewayConfig(env: Env): GatewayConfigInput {
  const overrides = jsonVar(env.QUEUES, "QUEUES", {}) as Record<string, Partial<QueueConfig>>;
  const names = new Set([...Object.keys(QUEUES), ...Object.keys(overrides)]);
  const queues = Object.fromEntries(
    [...names].map((name) => [name, { upstream: env.QUEUE_UPSTREAM, ...QUEUES[name], ...overrides[name] }]),
  );
  return {
    environment: env.ENVIRONMENT,
    account_id: env.QUEUES_ACCOUNT_ID,
    api_base_url: env.QUEUES_API_BASE_URL,
    api_token: env.QUEUES_API_TOKEN || undefined,
    api_timeout_ms: Number(env.QUEUES_API_TIMEOUT_MS),
    queues,
    keys: jsonVar(env.GATEWAY_KEYS, "GATEWAY_KEYS", []),
  } as GatewayConfigInput;
}
