/**
 * The Hono application: middleware order and route mounting, nothing else.
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "./config/env";
import { loadConfig } from "./config/load";
import { ErrorCode, GatewayError, ok } from "./http/errors";
import { notFound, onError } from "./http/on-error";
import { requestLog } from "./http/request-log";
import { htmlPage } from "./ingest/forms";
import { openApiDocument } from "./openapi/document";
import { documented } from "./openapi/route-docs";
import { adminRoutes } from "./routes/admin";
import { sourceRoutes } from "./routes/admin-sources";
import { backlogRoutes } from "./routes/backlog";
import { consoleRoutes } from "./routes/console";
import { describeHome, homeRoute } from "./routes/home";
import { ingestRoutes } from "./routes/ingest";
import { peekRoutes } from "./routes/peek";
import { QUEUE_PATH } from "./routes/queue-support";
import { QUEUE_ROUTE, queueRoutes } from "./routes/queues";
import { refusalRoutes } from "./routes/refusals";
import { trackingRoutes } from "./routes/tracking";
import { ENDPOINTS } from "./segment/schemas";

/** The reference is on in development and switchable in production (DOCS_ENABLED, validated with the configuration). */
const docsEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("config").docs_enabled) notFound();
  await next();
};

/** The 405 for a known path, naming the methods it takes. */
function methodNotAllowed(allow: string) {
  return function methodNotAllowed(): never {
    throw new GatewayError(405, ErrorCode.METHOD_NOT_ALLOWED, `Method not allowed: use ${allow}`, {
      headers: { Allow: allow },
    });
  };
}

export const app: Hono<AppEnv> = new Hono<AppEnv>()
  .use(requestLog())
  .use(async function config(c, next) {
    c.set("config", loadConfig(c.env));
    await next();
  })
  // What this server is and where to go next: a page for browsers, the envelope for API clients.
  .get("/", describeHome, homeRoute)
  // Liveness for load balancers and uptime checks: no auth, nothing secret.
  .get(
    "/healthz",
    documented({ tags: ["Operations"], summary: "Liveness", responses: { 200: { description: "The gateway is up" } } }),
    (c) => c.json(ok({ status: "ok", environment: c.get("config").environment })),
  )
  .route(QUEUE_ROUTE, queueRoutes)
  .route(QUEUE_ROUTE, peekRoutes)
  .route(QUEUE_PATH, backlogRoutes)
  .route("/ingest", ingestRoutes)
  // Segment's tracking API, at the root where Segment's clients post (src/segment/).
  .route("/v1", trackingRoutes)
  .route("/admin", adminRoutes)
  .route("/admin", refusalRoutes)
  .route("/admin", sourceRoutes)
  // The operator console (CONSOLE_ENABLED): a page that calls the routes above with an admin key.
  .route("/console", consoleRoutes)
  // The example contact form's thank-you page (its success_url is "/thanks").
  .get(
    "/thanks",
    documented({
      tags: ["Ingest"],
      summary: "The example form's thank-you page",
      responses: { 200: { description: "HTML" } },
    }),
    (c) => c.html(htmlPage("Thank you", "Your message was received.")),
  )
  .get(
    "/openapi.json",
    documented({
      tags: ["Operations"],
      summary: "This OpenAPI 3.1 document",
      responses: { 200: { description: "OpenAPI JSON" } },
    }),
    docsEnabled,
    async (c): Promise<Response> => c.json(await openApiDocument(app as Hono<AppEnv>, c, c.get("config"))),
  )
  // The reference and its Scalar bundle (static assets), loaded only when DOCS_ENABLED allows.
  .get(
    "/docs",
    documented({
      tags: ["Operations"],
      summary: "Interactive API reference",
      responses: { 200: { description: "HTML" } },
    }),
    docsEnabled,
    async (c) => (await import("./routes/docs")).docsPage(c),
  )
  .get("/docs/scalar.js", docsEnabled, async (c) => (await import("./routes/docs")).scalarScript(c))
  .all(`/v1/:call{(?:${Object.keys(ENDPOINTS).join("|")})}`, methodNotAllowed("POST"))
  .all(QUEUE_ROUTE, methodNotAllowed("POST"))
  // The group anchors the alternation: Hono's trie router would let "batchy" or "xack" match otherwise.
  .all(`${QUEUE_ROUTE}/:action{(?:batch|pull|ack|peek|purge)}`, methodNotAllowed("POST"))
  .all(`${QUEUE_PATH}/metrics`, methodNotAllowed("GET"))
  .all(`${QUEUE_PATH}/purge`, methodNotAllowed("GET, POST"));

app.notFound(notFound);
app.onError(onError);
