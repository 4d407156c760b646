/**
 * GET /docs: the interactive API reference (Scalar), served whole by the gateway: this page, and
 * Scalar's standalone browser bundle from the installed @scalar/api-reference package (Workers
 * static assets, pinned by package-lock.json). No CDN: the reference works offline and behind
 * strict proxies, obeys its own CSP, and changes only when the lockfile does. app.ts imports
 * this module only once /docs is asked for and DOCS_ENABLED allows it.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../config/env";
import { notFound } from "../http/on-error";

/** Where the page loads Scalar from, and the file of the package it is (assets: dist/browser). */
export const SCALAR_SCRIPT = "/docs/scalar.js";
const SCALAR_ASSET = "/standalone.js";

/**
 * Scalar's options: the document is ours; no fonts, telemetry, AI agent or hosted tools from
 * scalar.com (the CSP would refuse them anyway). "Try it" requests go to this origin only.
 */
const CONFIGURATION = {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
  hideClientButton: true,
};

/**
 * The reference's CSP. Scalar's bundle injects its stylesheet as a <style> element and Vue sets
 * style attributes, so styles may be inline; scripts may not: the configuration travels in a data
 * attribute, and the only script is the same-origin bundle.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const HEADERS = {
  "Content-Security-Policy": DOCS_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export function docsPage(c: Context<AppEnv>): Response | Promise<Response> {
  return c.html(
    html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Tributary API</title>
  </head>
  <body>
    <script id="api-reference" type="application/json" data-configuration="${JSON.stringify(CONFIGURATION)}"></script>
    <script src="${SCALAR_SCRIPT}"></script>
  </body>
</html>`,
    200,
    HEADERS,
  );
}

/** Scalar's bundle from the static assets; never anything else from them. */
export async function scalarScript(c: Context<AppEnv>): Promise<Response> {
  const asset = await c.env.ASSETS.fetch(new URL(SCALAR_ASSET, c.req.url), { headers: c.req.raw.headers });
  if (asset.status !== 200 && asset.status !== 304) notFound();
  const response = new Response(asset.body, asset);
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Cross-Origin-Resource-Policy", "same-origin");
  return response;
}
