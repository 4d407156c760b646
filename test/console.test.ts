/**
 * The operator console's delivery: /console, its script and stylesheet under a strict CSP (no
 * inline script or style, nothing from another origin, no framing, Trusted Types), a script
 * that renders text only, and CONSOLE_ENABLED as strict as DOCS_ENABLED. Its behaviour in a
 * browser is test/node/console.browser.test.mjs.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { gatewayConfig } from "../src/config/gateway";
import { ConfigError, parseConfig } from "../src/config/load";
import { GATEWAY } from "./support/api";

const PATHS = ["/console", "/console/app.js", "/console/console.css"];
const withVars = (vars: Partial<Record<keyof Env, unknown>>) => ({ ...env, ...vars }) as Env;

function directives(res: Response): Map<string, string> {
  const csp = res.headers.get("content-security-policy") ?? "";
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name ?? "", values.join(" ")]),
  );
}

describe("operator console", () => {
  it("serves the page, its script and stylesheet, each under the strict CSP and security headers", async () => {
    for (const path of PATHS) {
      const res = await SELF.fetch(`${GATEWAY}${path}`);
      expect(res.status, path).toBe(200);
      const csp = directives(res);
      expect(Object.fromEntries(csp), path).toEqual({
        "default-src": "'none'",
        "script-src": "'self'",
        "connect-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "require-trusted-types-for": "'script'",
        "trusted-types": "'none'",
      });
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cache-control")).toBe("no-store");
      await res.arrayBuffer();
    }
  });

  it("the page has no inline script, style or handler and loads only same-origin files", async () => {
    const res = await SELF.fetch(`${GATEWAY}/console`);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await res.text();
    const scripts = [...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[0])).toEqual(['<script type="module" src="/console/app.js"></script>']);
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    const urls = [...page.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.every((url) => url?.startsWith("/console"))).toBe(true);
  });

  it("the script and stylesheet have their types; the script renders text only and keeps the key out of URLs", async () => {
    const js = await SELF.fetch(`${GATEWAY}/console/app.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await js.text();
    for (const sink of [
      "innerHTML",
      "outerHTML",
      "insertAdjacentHTML",
      "document.write",
      "eval(",
      "new Function",
      "javascript:",
      "localStorage",
      "document.cookie",
    ]) {
      expect(script, sink).not.toContain(sink);
    }
    expect(script).toContain("sessionStorage");
    expect(script).toMatch(/authorization: `Bearer \$\{key\}`/);
    const css = await SELF.fetch(`${GATEWAY}/console/console.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).not.toMatch(/@import|url\(/);
  });

  it("is off when CONSOLE_ENABLED is false: every console path is 404", async () => {
    for (const path of PATHS) {
      const res = await app.request(path, {}, withVars({ CONSOLE_ENABLED: "false" }));
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-security-policy")).toBeNull();
    }
    expect((await app.request("/console", {}, withVars({ CONSOLE_ENABLED: undefined }))).status).toBe(404);
  });

  it.each(["yes", "TRUE", "", "1", " true"])(
    "CONSOLE_ENABLED must be exactly true or false: %j is refused",
    (value) => {
      expect(() => parseConfig(gatewayConfig(withVars({ CONSOLE_ENABLED: value })))).toThrow(ConfigError);
      expect(() => parseConfig(gatewayConfig(withVars({ CONSOLE_ENABLED: value })))).toThrow(
        'console_enabled: CONSOLE_ENABLED must be "true" or "false"',
      );
    },
  );

  it("CONSOLE_ENABLED true and false load as booleans; unset is off", () => {
    expect(parseConfig(gatewayConfig(withVars({ CONSOLE_ENABLED: "true" }))).console_enabled).toBe(true);
    expect(parseConfig(gatewayConfig(withVars({ CONSOLE_ENABLED: "false" }))).console_enabled).toBe(false);
    expect(parseConfig(gatewayConfig(withVars({ CONSOLE_ENABLED: undefined }))).console_enabled).toBe(false);
  });

  it("a mistyped CONSOLE_ENABLED does not serve the console: 500 naming the var", async () => {
    const res = await app.request("/console", {}, withVars({ CONSOLE_ENABLED: "TRUE" }));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { errors: { code: number; message: string }[] };
    expect(body.errors[0]?.code).toBe(15001);
    expect(body.errors[0]?.message).toContain("CONSOLE_ENABLED");
  });
});
