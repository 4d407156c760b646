/**
 * The authentication matrix: every compatible route × no key, unknown key, wrong scope, wrong
 * queue. 401s carry WWW-Authenticate; nothing reaches the queue on a refusal.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, envelope, pull, queuePath } from "./support/api";
import { KEYS } from "./support/constants";

afterEach(() => reset());

const ROUTES = [
  { action: "", scope: "push", body: { body: "m", content_type: "text" } },
  { action: "batch", scope: "push", body: { messages: [{ body: "m", content_type: "text" }] } },
  { action: "pull", scope: "pull", body: {} },
  { action: "ack", scope: "ack", body: { acks: [{ lease_id: "x" }] } },
] as const;

async function expectAuthError(res: Response, status: 401 | 403) {
  expect(res.status).toBe(status);
  expect(res.headers.get("www-authenticate")).toBe(status === 401 ? 'Bearer realm="tributary"' : null);
  const body = await envelope(res);
  expect(body.success).toBe(false);
  expect(body.errors.map((e) => e.code)).toEqual([10000]);
}

describe.each(ROUTES)("POST …/messages/$action ($scope)", ({ action, scope, body }) => {
  const path = queuePath("webhooks", action);

  it("no key → 401", async () => {
    await expectAuthError(await call(path, body, { key: null }), 401);
  });

  it("malformed Authorization → 401", async () => {
    await expectAuthError(await call(path, body, { key: null, headers: { authorization: "Basic bG9jYWw6ZGV2" } }), 401);
    await expectAuthError(await call(path, body, { key: null, headers: { authorization: "Bearer" } }), 401);
  });

  it("unknown key → 401, even with an invalid body (auth comes first)", async () => {
    await expectAuthError(await call(path, body, { key: "not-a-key" }), 401);
    await expectAuthError(await call(path, "{broken", { key: "not-a-key" }), 401);
  });

  it("known key without the scope → 403", async () => {
    const key = scope === "push" ? KEYS.pullOnly.key : KEYS.pushOnly.key;
    await expectAuthError(await call(path, body, { key }), 403);
  });

  it("known key without access to the queue → 403; its own queue works", async () => {
    await expectAuthError(await call(path, body, { key: KEYS.eventsOnly.key }), 403);
    const res = await call(queuePath("events", action), body, { key: KEYS.eventsOnly.key });
    expect(res.status).toBe(200);
  });
});

it("a refused push enqueues nothing", async () => {
  await call(queuePath("webhooks", ""), { body: "x", content_type: "text" }, { key: KEYS.pullOnly.key });
  await call(queuePath("webhooks", ""), { body: "x", content_type: "text" }, { key: "wrong" });
  expect((await pull("webhooks", {})).message_backlog_count).toBe(0);
});

it("the bearer scheme is case-insensitive and the key is not", async () => {
  expect(
    (await call(queuePath("webhooks", "pull"), {}, { key: null, headers: { authorization: "bearer local-dev-key" } }))
      .status,
  ).toBe(200);
  expect((await call(queuePath("webhooks", "pull"), {}, { key: "LOCAL-DEV-KEY" })).status).toBe(401);
});
