// Row 2, the alternative a user would pick instead of a gateway: Cloudflare's "publish to a
// queue via HTTP" example — check a bearer token, send each request as its own message.
interface Env {
  QUEUE: Queue;
  API_TOKEN: string;
}

export default {
  async fetch(request, env) {
    if (request.headers.get("authorization") !== `Bearer ${env.API_TOKEN}`)
      return new Response("Unauthorized", { status: 401 });
    const body = await request.text();
    await env.QUEUE.send(body, { contentType: "text" });
    return new Response("Accepted", { status: 202 });
  },
} satisfies ExportedHandler<Env>;
