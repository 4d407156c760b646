/**
 * GET /: what this server is, for whoever opens it first. A browser (Accept: text/html) gets a
 * small page with the gateway's name, version and where to go next; anything else (an API
 * client, curl's Accept: *\/*) gets the same in the Cloudflare envelope. Only the pages that are
 * switched on are linked (DOCS_ENABLED, CONSOLE_ENABLED), so no link leads to a 404.
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import * as z from "zod";
// The named import keeps the bundle to this one field of package.json (esbuild shakes JSON).
import { version } from "../../package.json";
import type { AppEnv } from "../config/env";
import { ok } from "../http/errors";
import { documented, envelopeOf, responses } from "../openapi/route-docs";

const NAME = "Tributary";
const DESCRIPTION = "HTTP ingest gateway in front of Cloudflare Queues";

export const Home = z.object({
  name: z.string(),
  version: z.string(),
  /** Path of each page or document this deployment serves, by name. */
  links: z.record(z.string(), z.string()),
});
export type Home = z.infer<typeof Home>;

const LINK_TITLES: Record<string, string> = {
  docs: "Interactive API reference",
  openapi: "OpenAPI 3.1 document",
  healthz: "Liveness check",
  console: "Operator console (admin key)",
};

function home(c: Context<AppEnv>): Home {
  const { docs_enabled, console_enabled } = c.get("config");
  const links: Record<string, string> = {
    ...(docs_enabled && { docs: "/docs", openapi: "/openapi.json" }),
    healthz: "/healthz",
    ...(console_enabled && { console: "/console" }),
  };
  return { name: NAME, version, links };
}

function page({ name, version, links }: Home): string {
  const items = Object.entries(links)
    .map(([key, path]) => `<li><a href="${path}">${path}</a> — ${LINK_TITLES[key] ?? key}</li>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${name}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}small{color:#666;font-weight:400}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><main><h1>${name} <small>${version}</small></h1><p>${DESCRIPTION}.</p><ul>${items}</ul>
<p>Push a message with <code>POST /client/v4/accounts/{account}/queues/{queue}/messages</code> and a gateway key, as Cloudflare's SDKs do.</p></main></body></html>`;
}

export const describeHome = documented({
  tags: ["Operations"],
  summary: "This gateway: name, version and links (HTML for browsers, JSON otherwise)",
  responses: responses(
    {
      200: {
        description: "Name, version and links; an HTML page when the client asks for text/html",
        schema: envelopeOf(Home),
      },
    },
    [],
  ),
});

export function homeRoute(c: Context<AppEnv>) {
  const result = home(c);
  const type = accepts(c, {
    header: "Accept",
    supports: ["application/json", "text/html"],
    default: "application/json",
  });
  c.header("Vary", "Accept");
  return type === "text/html" ? c.html(page(result)) : c.json(ok(result));
}
