/**
 * Malformed and hostile requests: every non-2xx answer is the Cloudflare envelope with a stable
 * code, a readable message, a request id, and never a stack trace or a 500.
 */
import { reset, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, envelope, GATEWAY, pull, queuePath } from "./support/api";

afterEach(() => reset());

async function expectError(res: Response, status: number, code: number) {
  const text = await res.text();
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{16}$/);
  const body = JSON.parse(text);
  expect(body).toEqual({
    success: false,
    errors: [expect.objectContaining({ code, message: expect.any(String) })],
    messages: [],
    result: null,
  });
  expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
  return body;
}

describe("bad requests on the compatible routes", () => {
  it("malformed JSON is 400 / 10208", async () => {
    await expectError(await call(queuePath("webhooks", ""), '{"body": '), 400, 10208);
    await expectError(await call(queuePath("webhooks", "pull"), ""), 400, 10208);
  });

  it("a wrong or missing content type is 415, even for a body pull would accept", async () => {
    await expectError(await call(queuePath("webhooks", "pull"), "{}", { contentType: "text/plain" }), 415, 10415);
    await expectError(await call(queuePath("webhooks", ""), '{"body":1}', { contentType: null }), 415, 10415);
    await expectError(
      await call(queuePath("webhooks", ""), "body=1", { contentType: "application/x-www-form-urlencoded" }),
      415,
      10415,
    );
  });

  it("a JSON value that is not an object is 400 / 10207", async () => {
    await expectError(await call(queuePath("webhooks", "batch"), "[1,2]"), 400, 10207);
    await expectError(await call(queuePath("webhooks", "pull"), "null"), 400, 10207);
  });

  it("an unknown queue is 404 / 10104 and a malformed queue id 400 / 10107", async () => {
    const body = await expectError(await call(queuePath("nope", "pull"), {}), 404, 10104);
    expect(body.errors[0].message).toContain("nope");
    await expectError(await call(queuePath("bad%20id", "pull"), {}), 400, 10107);
  });

  it("an unknown route is 404 / 7003, a wrong method 405 with Allow", async () => {
    await expectError(await SELF.fetch(`${GATEWAY}/nothing/here`), 404, 7003);
    await expectError(await call(`${queuePath("webhooks", "")}/peekaboo`, {}), 404, 7003);
    const res = await call(queuePath("webhooks", "pull"), undefined, { method: "GET" });
    expect(res.headers.get("allow")).toBe("POST");
    await expectError(res, 405, 7001);
  });

  it("an oversize request is 413 before it is read whole, and nothing is enqueued", async () => {
    const huge = JSON.stringify({ messages: [{ body: "x".repeat(2_000_000), content_type: "text" }] });
    await expectError(await call(queuePath("webhooks", "batch"), huge), 413, 10413);
    expect((await pull("webhooks", {})).message_backlog_count).toBe(0);
  });

  it("successful answers carry a request id too", async () => {
    const res = await call(queuePath("webhooks", "pull"), {});
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{16}$/);
    expect((await envelope(res)).errors).toEqual([]);
  });

  it("every kind of answer carries its request id: pages, assets and unknown routes", async () => {
    for (const [path, status] of [
      ["/", 200],
      ["/openapi.json", 200],
      ["/docs/scalar.js", 200],
      ["/console", 200],
      ["/no/such/route", 404],
    ] as const) {
      const res = await SELF.fetch(`${GATEWAY}${path}`, { redirect: "manual" });
      await res.arrayBuffer();
      expect([path, res.status]).toEqual([path, status]);
      expect([path, res.headers.get("x-request-id")]).toEqual([path, expect.stringMatching(/^[0-9a-f]{16}$/)]);
    }
  });
});
