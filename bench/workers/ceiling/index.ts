// Row 1, the ceiling: the least any route can do on this runtime — read the body, answer 202.
import { Hono } from "hono";

const app = new Hono();
app.post("*", async (c) => {
  await c.req.arrayBuffer();
  return c.body(null, 202);
});

export default { fetch: app.fetch } satisfies ExportedHandler;
