/**
 * GET / tells whoever opens the gateway what it is and where to go next: a page for browsers, the
 * envelope for API clients, linking only what this deployment serves.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { version } from "../package.json";
import { app } from "../src/app";
import { type Envelope, GATEWAY } from "./support/api";

type Home = { name: string; version: string; links: Record<string, string> };

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

describe("the home page", () => {
  it("answers API clients with name, version and links in the envelope", async () => {
    const res = await SELF.fetch(`${GATEWAY}/`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("vary")).toMatch(/accept/i);
    const body = (await res.json()) as Envelope<Home>;
    expect(body).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        name: "Tributary",
        version,
        links: { docs: "/docs", openapi: "/openapi.json", healthz: "/healthz", console: "/console" },
      },
    });
  });

  it("answers curl (Accept: */*) and clients without Accept with JSON too", async () => {
    for (const headers of [{ accept: "*/*" }, {}] as Record<string, string>[]) {
      const res = await SELF.fetch(`${GATEWAY}/`, { headers });
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as Envelope<Home>).result.name).toBe("Tributary");
    }
  });

  it("shows browsers a page with the name, version and working links", async () => {
    const res = await SELF.fetch(`${GATEWAY}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("<title>Tributary</title>");
    expect(html).toContain(version);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(["/docs", "/openapi.json", "/healthz", "/console"]);
    for (const href of hrefs)
      expect((await SELF.fetch(`${GATEWAY}${href}`, { headers: { accept: BROWSER_ACCEPT } })).status, href).toBe(200);
  });

  it("links only what is switched on: docs and console off leave the liveness check", async () => {
    const res = await app.request("/", { headers: { accept: "application/json" } }, {
      ...env,
      DOCS_ENABLED: "false",
      CONSOLE_ENABLED: "false",
    } as Env);
    expect(((await res.json()) as Envelope<Home>).result.links).toEqual({ healthz: "/healthz" });
  });
});
