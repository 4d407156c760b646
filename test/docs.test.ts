/**
 * /docs without a CDN: the reference page names only same-origin files under its CSP, and
 * Scalar's bundle comes from the installed package (static assets), only while DOCS_ENABLED.
 * Rendering it offline in a browser is test/node/docs.browser.test.mjs.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { GATEWAY } from "./support/api";

describe("API reference", () => {
  it("the page loads Scalar from this origin only, under a CSP that allows no inline script and no other origin", async () => {
    const res = await SELF.fetch(`${GATEWAY}/docs`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
    const page = await res.text();
    expect(page).not.toMatch(/https?:\/\//);
    expect([...page.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1])).toEqual(["/docs/scalar.js"]);
    // The configuration is data, not code: the one other script element is not executable.
    expect(
      [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].every(
        ([, attrs, body]) => body === "" || /type="application\/json"/.test(attrs ?? ""),
      ),
    ).toBe(true);
    expect(page).toContain("/openapi.json");
  });

  it("serves Scalar's standalone bundle from the installed package", async () => {
    const res = await SELF.fetch(`${GATEWAY}/docs/scalar.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const script = await res.text();
    expect(script.length).toBeGreaterThan(1_000_000);
    expect(script).toContain("createApiReference");
  });

  it("nothing else of the package is reachable, and nothing at all while DOCS_ENABLED is false", async () => {
    for (const path of ["/standalone.js", "/standalone.js.map", "/docs/standalone.esm.js", "/docs/scalar.js.map"]) {
      expect((await SELF.fetch(`${GATEWAY}${path}`)).status, path).toBe(404);
    }
    const off = { ...env, DOCS_ENABLED: "false" } as Env;
    for (const path of ["/docs", "/docs/scalar.js"]) expect((await app.request(path, {}, off)).status, path).toBe(404);
  });
});
