/**
 * Configuration: validated with zod when first used; a bad deployment fails with a message that
 * names the field (and never shows a value, which may be a secret).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { gatewayConfig } from "../src/config/gateway";
import { ConfigError, loadConfig, parseConfig } from "../src/config/load";
import { queuePath } from "./support/api";

const withVars = (vars: Partial<Record<keyof Env, unknown>>) => ({ ...env, ...vars }) as Env;

function configError(vars: Partial<Record<keyof Env, unknown>>): string {
  try {
    parseConfig(gatewayConfig(withVars(vars)));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("configuration", () => {
  it("the shipped development configuration has local queues webhooks, events, forms and the dev key", () => {
    const config = loadConfig(env);
    expect(config.queues.webhooks).toMatchObject({ upstream: "local", max_retries: 3, retention_seconds: 345_600, dead_letter_queue: "dead-letters" });
    expect(config.queues.events?.upstream).toBe("local");
    expect(config.queues.forms?.upstream).toBe("local");
    expect(config.keys.find((k) => k.name === "local-dev")).toMatchObject({ queues: "*", scopes: ["push", "pull", "ack", "admin"] });
  });

  it.each([
    [{ QUEUES: { webhooks: { upstream: "cloudflare" } } }, "queues.webhooks.cloudflare_id: required for the cloudflare upstream"],
    [{ QUEUES: { webhooks: { cloudflare_id: "xyz" } } }, "queues.webhooks.cloudflare_id: Cloudflare queue ids are 32 hex digits"],
    [{ QUEUES: { webhooks: { dead_letter_queue: "ghost" } } }, 'queues.webhooks.dead_letter_queue: no queue named "ghost"'],
    [{ QUEUES: { webhooks: { max_retries: 101 } } }, "queues.webhooks.max_retries"],
    [{ QUEUES: { "Bad Name": {} } }, "queues.Bad Name"],
    [{ QUEUE_UPSTREAM: "carrier-pigeon" }, "queues.webhooks.upstream"],
    [{ GATEWAY_KEYS: "{not json" }, "GATEWAY_KEYS: not valid JSON"],
    [{ GATEWAY_KEYS: '[{"name":"k","sha256":"abc","queues":"*","scopes":["push"]}]' }, "keys.0.sha256: sha256 must be 64 lowercase hex digits"],
    [{ GATEWAY_KEYS: `[{"name":"k","sha256":"${"a".repeat(64)}","queues":["nope"],"scopes":["push"]}]` }, 'keys.0.queues: no queue named "nope"'],
  ])("names the field: %j", (vars, expected) => {
    expect(configError(vars)).toContain(expected);
  });

  it("a misconfigured deployment answers 500 with the field named, not a stack trace or a secret", async () => {
    const secretToken = "super-secret-token-value";
    const res = await app.request(
      queuePath("webhooks", "pull"),
      { method: "POST", headers: { authorization: "Bearer local-dev-key", "content-type": "application/json" }, body: "{}" },
      withVars({ QUEUES: { webhooks: { upstream: "cloudflare" } }, QUEUES_API_TOKEN: secretToken, QUEUES_ACCOUNT_ID: "" }),
    );
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ success: false, errors: [{ code: 15001 }] });
    expect(text).toContain("queues.webhooks.cloudflare_id");
    expect(text).toContain("account_id");
    expect(text).not.toContain(secretToken);
  });
});
