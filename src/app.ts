/**
 * The Hono application: middleware order and route mounting, nothing else.
 */
import { Hono } from "hono";
import { adminRoutes } from "./admin/routes";
import { loadConfig } from "./config/load";
import type { AppEnv } from "./env";
import { ErrorCode, GatewayError } from "./http/errors";
import { notFound, onError } from "./http/on-error";
import { requestLog } from "./http/request-log";
import { htmlPage } from "./ingest/forms";
import { ingestRoutes } from "./ingest/route";
import { QUEUE_ROUTE, queueRoutes } from "./queues/routes";

function methodNotAllowed(): never {
  throw new GatewayError(405, ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed: use POST", { headers: { Allow: "POST" } });
}

export const app = new Hono<AppEnv>()
  .use(requestLog())
  .use(async function config(c, next) {
    c.set("config", loadConfig(c.env));
    await next();
  })
  .route(QUEUE_ROUTE, queueRoutes)
  .route("/ingest", ingestRoutes)
  .route("/admin", adminRoutes)
  // The example contact form's thank-you page (its success_url is "/thanks").
  .get("/thanks", (c) => c.html(htmlPage("Thank you", "Your message was received.")))
  .all(QUEUE_ROUTE, methodNotAllowed)
  .all(`${QUEUE_ROUTE}/:action{batch|pull|ack}`, methodNotAllowed);

app.notFound(notFound);
app.onError(onError);
