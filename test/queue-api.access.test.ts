/**
 * Who may peek, purge and read metrics, and what bad requests get: every new route × no key,
 * unknown key, wrong scope, another queue's key (an `admin` key of another queue included); an
 * `admin` key of the queue may (admin implies peek and purge). Refusals are 401/403 envelopes
 * and change nothing; bad input is a 4xx envelope, never a 5xx.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, envelope, metrics, peek, purgeStatus, push, queuePath, queueResourcePath } from "./support/api";
import { KEYS } from "./support/constants";

afterEach(() => reset());

const ROUTES = [
  {
    route: "POST …/messages/peek",
    method: "POST",
    path: (q: string) => queuePath(q, "peek"),
    body: {},
    denied: KEYS.pullOnly.key,
  },
  {
    route: "POST …/messages/purge",
    method: "POST",
    path: (q: string) => queuePath(q, "purge"),
    body: { refs: [{ ref: "x" }] },
    denied: KEYS.pullOnly.key,
  },
  {
    route: "GET …/metrics",
    method: "GET",
    path: (q: string) => queueResourcePath(q, "metrics"),
    body: undefined,
    denied: KEYS.pushOnly.key,
  },
  {
    route: "POST …/purge",
    method: "POST",
    path: (q: string) => queueResourcePath(q, "purge"),
    body: { delete_messages_permanently: true },
    denied: KEYS.pullOnly.key,
  },
  {
    route: "GET …/purge",
    method: "GET",
    path: (q: string) => queueResourcePath(q, "purge"),
    body: undefined,
    denied: KEYS.pullOnly.key,
  },
] as const;

async function expectAuthError(res: Response, status: 401 | 403) {
  expect(res.status).toBe(status);
  expect(res.headers.get("www-authenticate")).toBe(status === 401 ? 'Bearer realm="tributary"' : null);
  const body = await envelope(res);
  expect({ success: body.success, codes: body.errors.map((e) => e.code), result: body.result }).toEqual({
    success: false,
    codes: [10000],
    result: null,
  });
}

async function expectError(res: Response, status: number, code: number) {
  expect(res.status).toBe(status);
  const body = await envelope(res);
  expect({ success: body.success, code: body.errors[0]?.code, result: body.result }).toEqual({
    success: false,
    code,
    result: null,
  });
}

describe.each(ROUTES)("$route", ({ method, path, body, denied }) => {
  const send = (queue: string, key: string | null, payload: unknown = body) =>
    call(path(queue), payload, { key, method, contentType: method === "GET" ? null : "application/json" });

  /** A refused call leaves the queue as it was: its message there, never purged. */
  async function refused(key: string | null, status: 401 | 403, queue = "webhooks", payload?: unknown) {
    await push(queue, { body: "stays", content_type: "text" });
    await expectAuthError(await send(queue, key, payload), status);
    expect((await metrics(queue)).backlog_count).toBe(1);
    expect(await purgeStatus(queue)).toEqual({});
  }

  it("no key → 401", () => refused(null, 401));
  it("unknown key → 401, before the body is read", () =>
    refused("not-a-key", 401, "webhooks", method === "POST" ? "{broken" : undefined));
  it("a key without the scope → 403", () => refused(denied, 403));
  it("an admin key of another queue → 403; admin implies the scope on its own queue", async () => {
    await refused(KEYS.adminWebhooks.key, 403, "events");
    expect((await send("webhooks", KEYS.adminWebhooks.key)).status).toBe(200);
  });

  it("a key for another queue → 403; on its own queue it works", async () => {
    await refused(KEYS.inspectEvents.key, 403, "webhooks");
    expect((await send("events", KEYS.inspectEvents.key)).status).toBe(200);
  });
});

it("metrics are open to pull keys as to peek keys", async () => {
  expect(
    (await call(queueResourcePath("webhooks", "metrics"), undefined, { key: KEYS.pullOnly.key, method: "GET" })).status,
  ).toBe(200);
  expect(
    (await call(queueResourcePath("events", "metrics"), undefined, { key: KEYS.inspectEvents.key, method: "GET" }))
      .status,
  ).toBe(200);
});

describe("bad requests: a 4xx envelope, never a 5xx", () => {
  it("malformed JSON is 400 / 10208, another content type 415 / 10415", async () => {
    for (const path of [
      queuePath("webhooks", "peek"),
      queuePath("webhooks", "purge"),
      queueResourcePath("webhooks", "purge"),
    ]) {
      await expectError(await call(path, '{"refs": '), 400, 10208);
      await expectError(await call(path, "{}", { contentType: "text/plain" }), 415, 10415);
    }
  });

  it("invalid fields are 400 / 10207", async () => {
    for (const bad of [{ batch_size: 0 }, { batch_size: "5" }, [1]])
      await expectError(await call(queuePath("webhooks", "peek"), bad), 400, 10207);
    for (const bad of [{}, { refs: "x" }, { refs: [{ ref: "" }] }, { refs: [{ ref: 5 }] }, { refs: [{}] }]) {
      await expectError(await call(queuePath("webhooks", "purge"), bad), 400, 10207);
    }
  });

  it("an unknown queue is 404 / 10104 and a malformed queue id 400 / 10107, on every route", async () => {
    for (const { method, path, body } of ROUTES) {
      const options = { method, contentType: method === "GET" ? null : "application/json" };
      await expectError(await call(path("nope"), body, options), 404, 10104);
      await expectError(await call(path("bad%20id"), body, options), 400, 10107);
    }
  });

  it("a wrong method is 405 / 7001 naming the methods the path takes", async () => {
    const cases = [
      { path: queuePath("webhooks", "peek"), method: "GET", allow: "POST" },
      { path: queuePath("webhooks", "purge"), method: "DELETE", allow: "POST" },
      { path: queueResourcePath("webhooks", "metrics"), method: "POST", allow: "GET" },
      { path: queueResourcePath("webhooks", "purge"), method: "DELETE", allow: "GET, POST" },
    ];
    for (const { path, method, allow } of cases) {
      const res = await call(path, undefined, { method, contentType: null });
      expect([method, res.headers.get("allow")]).toEqual([method, allow]);
      await expectError(res, 405, 7001);
    }
  });

  it("paths next to the queue routes stay 404 / 7003, whatever the method", async () => {
    const near = [
      `${queueResourcePath("webhooks", "metrics")}/x`,
      `${queueResourcePath("webhooks", "purge")}/now`,
      `${queuePath("webhooks", "peek")}s`,
      `${queuePath("webhooks", "batch")}y`,
      `${queuePath("webhooks", "")}/xack`,
    ];
    for (const path of near) {
      for (const method of ["GET", "POST"])
        await expectError(await call(path, method === "POST" ? {} : undefined, { method }), 404, 7003);
    }
    expect((await peek("webhooks")).messages).toEqual([]); // and the routes themselves still answer
  });
});
