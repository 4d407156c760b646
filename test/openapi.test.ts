/**
 * GET /openapi.json is a valid OpenAPI 3.1 document (checked by a real validator) that covers
 * every route the app serves, each configured ingest source, and the bearer scheme; /docs serves
 * the interactive reference.
 */
import { env, SELF } from "cloudflare:test";
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { loadConfig } from "../src/config/load";
import { GATEWAY } from "./support/api";

type Spec = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> } }>
  >;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; name?: string }> };
};

async function spec(): Promise<Spec> {
  const res = await SELF.fetch(`${GATEWAY}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Spec;
}

/** Every (method, path) the Hono app routes, with /ingest/:source expanded to the configured sources. */
function servedRoutes(): string[] {
  // Write-key sources are served at /v1/* (their own routes), not under /ingest.
  const sources = Object.entries(loadConfig(env).sources)
    .filter(([, source]) => source.auth.kind !== "write_key")
    .map(([name]) => name);
  const routes = new Set<string>();
  for (const { method, path } of app.routes) {
    if (method === "ALL") continue; // middleware and the 405 catch-alls
    if (/\.\w+$/.test(path)) continue; // files a page loads (/console/app.js): hono-openapi leaves them out
    const openapiPath = path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
    if (openapiPath === "/ingest/{source}") {
      if (method === "POST") for (const s of sources) routes.add(`post /ingest/${s}`);
      continue;
    }
    routes.add(`${method.toLowerCase()} ${openapiPath}`);
  }
  return [...routes].sort();
}

describe("OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const document = await spec();
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it("lists every route the app serves", async () => {
    const document = await spec();
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    const served = servedRoutes();
    expect(served.length).toBeGreaterThan(15);
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it("documents the queue routes with the bearer scheme and their zod request schemas", async () => {
    const document = await spec();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const pull = document.paths["/client/v4/accounts/{account_id}/queues/{queue_id}/messages/pull"]?.post;
    expect(pull?.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(pull?.requestBody?.content["application/json"]?.schema)).toContain("visibility_timeout_ms");
  });

  it("documents each source's auth scheme, media types and payload schema", async () => {
    const document = await spec();
    const github = document.paths["/ingest/github"]?.post;
    expect(github?.security).toEqual([{ github_signature: [] }]);
    expect(document.components.securitySchemes.github_signature).toMatchObject({
      type: "apiKey",
      name: "x-hub-signature-256",
    });
    const app_ = document.paths["/ingest/app"]?.post;
    expect(Object.keys(app_?.requestBody?.content ?? {}).sort()).toEqual(["application/json", "application/x-ndjson"]);
    expect(JSON.stringify(app_?.requestBody?.content["application/json"]?.schema)).toContain('"event"');
    expect(Object.keys(document.paths["/ingest/contact"]?.post?.requestBody?.content ?? {}).sort()).toEqual([
      "application/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
    ]);
  });

  it("never echoes the request's host: the one server is relative", async () => {
    for (const [url, headers] of [
      ["http://evil.example/openapi.json", {}],
      [`${GATEWAY}/openapi.json`, { host: "evil.example", "x-forwarded-host": "evil.example" }],
    ] as const) {
      const res = await SELF.fetch(url, { headers });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain("evil.example");
      expect((JSON.parse(text) as { servers: unknown }).servers).toEqual([{ url: "/" }]);
    }
  });

  it("serves the interactive reference at /docs", async () => {
    const res = await SELF.fetch(`${GATEWAY}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toContain("/openapi.json");
  });

  it("/healthz answers without auth and without secrets", async () => {
    const res = await SELF.fetch(`${GATEWAY}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: { status: "ok", environment: "development" },
    });
  });
});
