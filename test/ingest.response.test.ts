/**
 * Per-source synchronous answers, for senders that expect a specific one: the configured status,
 * content type and body, with the gateway's message ids (never client input) filled in, only
 * once the delivery was accepted. Refusals keep the Cloudflare envelope.
 */
import { describe, expect, it } from "vitest";
import { delivered, resetAfterEach, send } from "./support/providers";

resetAfterEach();

describe("a source's custom response", () => {
  it("answers an accepted delivery with the configured status, content type and body, ids filled in", async () => {
    const res = await send("answered", { body: '{"order":1}', headers: { "content-type": "application/json" } });
    const [message] = await delivered();
    expect({ status: res.status, type: res.headers.get("content-type"), body: await res.text() }).toEqual({
      status: 200,
      type: "application/xml",
      body: `<ok id="${message?.id}"/>`,
    });
  });

  it("refusals keep the envelope, and nothing is enqueued", async () => {
    const res = await send("answered", { body: "{broken", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject({ success: false, errors: [{ code: 10208 }] });
    expect(await delivered()).toEqual([]);
  });
});
