/**
 * Builds and validates the configuration once per set of bindings. Validation errors name the
 * field ("queues.webhooks.cloudflare_id: required for the cloudflare upstream"), never a value.
 */

import { ConfigError } from "../lib/vars";
import { gatewayConfig } from "./gateway";
import { GatewayConfig } from "./schema";

const cache = new WeakMap<object, GatewayConfig>();

export function loadConfig(env: Env): GatewayConfig {
  const cached = cache.get(env);
  if (cached) return cached;
  const config = parseConfig(gatewayConfig(env));
  cache.set(env, config);
  return config;
}

export function parseConfig(input: unknown): GatewayConfig {
  const parsed = GatewayConfig.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new ConfigError(`Invalid gateway configuration: ${detail}`);
  }
  return parsed.data;
}

export { ConfigError };
