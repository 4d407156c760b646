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
import { DEV_SECRET, STANDARD_DEV_SECRET } from "./support/constants";

/** The development write key alone (.dev.vars.example): its source, `segment`, is in the code. */
const DEV_WRITE_KEYS = JSON.stringify(
  (JSON.parse(env.WRITE_KEYS) as { source: string }[]).filter((k) => k.source === "segment"),
);

/** Replacing SOURCES drops the test-only sources, and with them the test-only write keys that name them. */
const withVars = (vars: Partial<Record<keyof Env, unknown>>) =>
  ({ ...env, ...("SOURCES" in vars && { WRITE_KEYS: DEV_WRITE_KEYS }), ...vars }) as Env;

const loaded = (vars: Partial<Record<keyof Env, unknown>>) => parseConfig(gatewayConfig(withVars(vars)));

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
    expect(config.queues.webhooks).toMatchObject({
      upstream: "local",
      max_retries: 3,
      retention_seconds: 345_600,
      dead_letter_queue: "dead-letters",
    });
    expect(config.queues.events?.upstream).toBe("local");
    expect(config.queues.forms?.upstream).toBe("local");
    expect(config.keys.find((k) => k.name === "local-dev")).toMatchObject({
      queues: "*",
      scopes: ["push", "pull", "ack", "peek", "purge", "admin"],
    });
  });

  it.each([
    [
      { QUEUES: { webhooks: { upstream: "cloudflare" } } },
      "queues.webhooks.cloudflare_id: required for the cloudflare upstream",
    ],
    [
      { QUEUES: { webhooks: { cloudflare_id: "xyz" } } },
      "queues.webhooks.cloudflare_id: Cloudflare queue ids are 32 hex digits",
    ],
    [
      { QUEUES: { webhooks: { dead_letter_queue: "ghost" } } },
      'queues.webhooks.dead_letter_queue: no queue named "ghost"',
    ],
    [{ QUEUES: { webhooks: { max_retries: 101 } } }, "queues.webhooks.max_retries"],
    [{ QUEUES: { "Bad Name": {} } }, "queues.Bad Name"],
    [{ QUEUE_UPSTREAM: "carrier-pigeon" }, "queues.webhooks.upstream"],
    [{ GATEWAY_KEYS: "{not json" }, "GATEWAY_KEYS: not valid JSON"],
    [
      { GATEWAY_KEYS: '[{"name":"k","sha256":"abc","queues":"*","scopes":["push"]}]' },
      "keys.0.sha256: sha256 must be 64 lowercase hex digits",
    ],
    [
      { GATEWAY_KEYS: `[{"name":"k","sha256":"${"a".repeat(64)}","queues":["nope"],"scopes":["push"]}]` },
      'keys.0.queues: no queue named "nope"',
    ],
  ])("names the field: %j", (vars, expected) => {
    expect(configError(vars)).toContain(expected);
  });

  it("a misconfigured deployment answers 500 with the field named, not a stack trace or a secret", async () => {
    const secretToken = "super-secret-token-value";
    const res = await app.request(
      queuePath("webhooks", "pull"),
      {
        method: "POST",
        headers: { authorization: "Bearer local-dev-key", "content-type": "application/json" },
        body: "{}",
      },
      withVars({
        QUEUES: { webhooks: { upstream: "cloudflare" } },
        QUEUES_API_TOKEN: secretToken,
        QUEUES_ACCOUNT_ID: "",
      }),
    );
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ success: false, errors: [{ code: 15001 }] });
    expect(text).toContain("queues.webhooks.cloudflare_id");
    expect(text).toContain("account_id");
    expect(text).not.toContain(secretToken);
  });
});

describe("configuration refuses settings that would fail open or fail every request", () => {
  it.each([
    [{ auth: { kind: "twilio", secret: "TWILIO_AUTH_TOKEN" } }],
    [{ auth: { kind: "twilio", secret: "TWILIO_AUTH_TOKEN", public_base_url: "ftp://hooks.example.com" } }],
  ])(
    "a twilio source needs an http(s) public_base_url (the signed URL never comes from the Host header): %j",
    (twilio) => {
      const message = configError({ SOURCES: { twilio } });
      expect(message).toContain("sources.twilio.auth.public_base_url: ");
      expect(message).not.toContain(DEV_SECRET);
    },
  );

  it("the development twilio source verifies against its configured public URL", () => {
    expect(loadConfig(env).sources.twilio?.auth).toMatchObject({
      kind: "twilio",
      public_base_url: "http://127.0.0.1:8787",
    });
  });

  it.each([["whsec_"], ["whsec_@@@@"], ["bm90IGJhc2U2NA"], [`["${STANDARD_DEV_SECRET}","whsec_"]`]])(
    "a standard source refuses a secret that is not a non-empty base64 key, naming the secret, not its value: %s",
    (secret) => {
      const message = configError({ STANDARD_WEBHOOK_SECRET: secret });
      const index = secret.startsWith("[") ? 1 : 0;
      expect(message).toContain(`sources.standard.auth.secrets.${index}: STANDARD_WEBHOOK_SECRET`);
      expect(message).not.toContain("whsec_");
      expect(message).not.toContain("@@@@");
      expect(message).not.toContain("bm90IGJhc2U2NA");
    },
  );

  it("a standard secret with or without its whsec_ prefix loads", () => {
    for (const secret of [STANDARD_DEV_SECRET, STANDARD_DEV_SECRET.slice("whsec_".length)]) {
      expect(loaded({ STANDARD_WEBHOOK_SECRET: secret }).sources.standard?.auth).toMatchObject({ secrets: [secret] });
    }
  });

  it.each(["yes", "FALSE", "", "0", " false"])("DOCS_ENABLED must be exactly true or false: %j is refused", (value) => {
    expect(configError({ DOCS_ENABLED: value })).toContain('docs_enabled: DOCS_ENABLED must be "true" or "false"');
  });

  it("DOCS_ENABLED true and false load as booleans; unset is off", () => {
    expect(loaded({ DOCS_ENABLED: "true" }).docs_enabled).toBe(true);
    expect(loaded({ DOCS_ENABLED: "false" }).docs_enabled).toBe(false);
    expect(loaded({ DOCS_ENABLED: undefined }).docs_enabled).toBe(false);
  });

  it("a mistyped DOCS_ENABLED does not serve the reference: /docs answers 500 naming the var", async () => {
    const res = await app.request("/docs", {}, withVars({ DOCS_ENABLED: "FALSE" }));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { errors: { code: number; message: string }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.code).toBe(15001);
    expect(body.errors[0]?.message).toContain("DOCS_ENABLED");
    expect((await app.request("/docs", {}, withVars({ DOCS_ENABLED: "false" }))).status).toBe(404);
  });

  it.each([
    "/\\evil.example",
    "/\\\\evil",
    "/ /evil",
    "//evil.example",
    "/\t/evil",
    "/thanks\\x",
    "/a\nb",
    "/a b",
    "/\u0000x",
    "javascript:alert(1)",
  ])("a form redirect that a browser could read as another site is refused: %j", (target) => {
    expect(configError({ SOURCES: { contact: { form: { success_url: target } } } })).toContain(
      "sources.contact.form.success_url: ",
    );
    expect(configError({ SOURCES: { contact: { form: { error_url: target } } } })).toContain(
      "sources.contact.form.error_url: ",
    );
  });

  it.each(["/thanks", "/", "/thanks?from=form#top", "https://site.example/ok"])(
    "a form redirect to a path or an http(s) URL loads: %j",
    (target) => {
      expect(
        loaded({ SOURCES: { contact: { form: { success_url: target } } } }).sources.contact?.form?.success_url,
      ).toBe(target);
    },
  );
});

describe("provider presets a deployment serves (PRESET_SOURCES)", () => {
  /** The development vars without any preset's secret: what a fresh production deployment has. */
  const bare = () => {
    const vars: Record<string, unknown> = { ...env };
    for (const name of Object.keys(vars))
      if (/_(SECRET|TOKEN|KEY|CLIENT_STATE|CREDENTIALS)$/.test(name) && name !== "QUEUES_API_TOKEN") delete vars[name];
    return vars as unknown as Env;
  };
  const sources = (vars: Partial<Record<keyof Env, unknown>>) =>
    Object.keys(
      parseConfig(gatewayConfig({ ...bare(), SOURCES: {}, WRITE_KEYS: DEV_WRITE_KEYS, ...vars } as Env)).sources,
    );

  it("none by default in production: the configuration loads without any preset secret", () => {
    expect(() => sources({ PRESET_SOURCES: "" })).toThrow(
      /^Invalid gateway configuration: sources\.hmac\.auth\.secrets: [^;]*$/,
    );
    const names = sources({ PRESET_SOURCES: "", HMAC_WEBHOOK_SECRET: "s" });
    expect(names).not.toContain("github");
    expect(names).toEqual(expect.arrayContaining(["hmac", "app", "contact"]));
  });

  it("the listed ones, and any preset [vars.SOURCES] configures, need their secrets", () => {
    expect(
      sources({
        PRESET_SOURCES: "github, stripe",
        HMAC_WEBHOOK_SECRET: "s",
        GITHUB_WEBHOOK_SECRET: "g",
        STRIPE_WEBHOOK_SECRET: "t",
      }),
    ).toEqual(expect.arrayContaining(["github", "stripe"]));
    expect(() => sources({ PRESET_SOURCES: "zoom", HMAC_WEBHOOK_SECRET: "s" })).toThrow(/sources\.zoom\.auth\.secrets/);
    const viaOverride = sources({
      PRESET_SOURCES: "",
      HMAC_WEBHOOK_SECRET: "s",
      MUX_WEBHOOK_SECRET: "m",
      SOURCES: { mux: { queue: "events" } },
    });
    expect(viaOverride).toContain("mux");
  });

  it("all of them in development", () => {
    expect(Object.keys(loadConfig(env).sources)).toEqual(
      expect.arrayContaining(["github", "zoom", "discord", "sendgrid", "mux", "twitter"]),
    );
  });
});
