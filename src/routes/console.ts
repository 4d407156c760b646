/**
 * /console: the operator console, a page and its own script and stylesheet, all three under the
 * CSP of ./headers.ts. Off unless CONSOLE_ENABLED is "true" (validated with the configuration,
 * like DOCS_ENABLED). It needs no route of its own beyond these: the page calls the admin and
 * queue JSON routes with the key the operator signs in with.
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../config/env";
import script from "../console/app.browser.js";
import styles from "../console/console.browser.css";
import { CONSOLE_HEADERS } from "../console/headers";
import { consolePage } from "../console/page";
import { notFound } from "../http/on-error";
import { documented } from "../openapi/route-docs";

const consoleEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("config").console_enabled) notFound();
  await next();
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) c.header(name, value);
};

// The page is documented; its script and stylesheet are files it loads (hono-openapi leaves those out).
export const consoleRoutes = new Hono<AppEnv>()
  .use(consoleEnabled)
  .get(
    "/",
    documented({
      tags: ["Operations"],
      summary: "Operator console (sign in with an admin key)",
      responses: { 200: { description: "HTML" }, 404: { description: "Console disabled (CONSOLE_ENABLED)" } },
    }),
    (c) => c.html(consolePage()),
  )
  .get("/app.js", (c) => c.body(script, 200, { "Content-Type": "text/javascript; charset=utf-8" }))
  .get("/console.css", (c) => c.body(styles, 200, { "Content-Type": "text/css; charset=utf-8" }));
