/**
 * The operator routes: who may reach which queue (every admin route × no key, unknown key, no
 * admin scope, an operator of another queue, the queue's own operator, by name and by Cloudflare
 * id), and dead letters by the page: count and byte caps, an opaque cursor across shards, and
 * 50,000 letters listed, replayed and deleted without loading them all at once.
 */
import { env, reset, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { shardStub } from "../src/buffer/shards";
import { ShardTables } from "../src/buffer/tables";
import { messageBytes } from "../src/queues/limits";
import { MAX_PAGE_BYTES } from "../src/routes/admin";
import { DEV_KEY, GATEWAY, pushBatch } from "./support/api";
import { BUFFERED_REMOTE_QUEUE_ID, KEYS, REMOTE_QUEUE_ID } from "./support/constants";

afterEach(() => reset());

interface Entry {
  shard: number;
  id: string;
  content_type: string;
  bytes: number;
  enqueued_at: number;
  failed_at: number;
  error: string;
  body: string;
}
interface Listed {
  status: number;
  result: Entry[];
  result_info: { count: number; cursor: string | null };
}

const FAILED_AT = 1_700_000_000_000;
const REFUSAL = "upstream refused: message too large";

const idOf = (queue: string, shard: number, i: number) => `${queue}/${shard}/${i}`;

/** What the listing shows for the i-th letter seedDeadLetters wrote. */
function seededEntry(queue: string, shard: number, i: number, body: string): Entry {
  return {
    shard,
    id: idOf(queue, shard, i),
    content_type: "text",
    bytes: messageBytes(body),
    enqueued_at: FAILED_AT - 1,
    failed_at: FAILED_AT,
    error: REFUSAL,
    body,
  };
}

/**
 * Writes dead letters straight into a shard's tables (there is no HTTP way to make one, on
 * purpose), in one transaction. The shard first learns its queue the way a first push teaches it.
 * Answers the entries the listing should show; only ids for large seeds, to keep the test small.
 */
async function seedDeadLetters(
  queue: string,
  shard: number,
  count: number,
  body: (i: number) => string,
): Promise<Entry[]> {
  await writeDeadLetters(queue, shard, count, body);
  return Array.from({ length: count }, (_, i) => seededEntry(queue, shard, i, body(i)));
}

async function writeDeadLetters(
  queue: string,
  shard: number,
  count: number,
  body: (i: number) => string,
): Promise<void> {
  const stub = shardStub(env, queue, shard);
  await stub.enqueue(queue, []);
  await runInDurableObject(stub, (_instance, state) => {
    const tables = new ShardTables(state.storage);
    state.storage.transactionSync(() => {
      for (let i = 0; i < count; i++) {
        const entry = seededEntry(queue, shard, i, body(i));
        const pending = {
          seq: 0,
          enqueued_at: entry.enqueued_at,
          stored: { id: entry.id, body: entry.body, content_type: entry.content_type, delay_seconds: null },
        };
        tables.deadLetter(pending, REFUSAL, FAILED_AT);
      }
    });
  });
}

async function adminCall(key: string | null, method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return SELF.fetch(`${GATEWAY}/admin${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function list(queue: string, query = "", key = DEV_KEY): Promise<Listed> {
  const res = await adminCall(key, "GET", `/queues/${queue}/dead-letters${query}`);
  return { status: res.status, ...((await res.json()) as Omit<Listed, "status">) };
}

async function bufferOf(queue: string): Promise<Record<string, number>> {
  const res = await adminCall(DEV_KEY, "GET", "/queues");
  const queues = ((await res.json()) as { result: { name: string; buffer: Record<string, number> }[] }).result;
  return queues.find((q) => q.name === queue)!.buffer;
}

const failure = (code: number, message: string) => ({
  success: false,
  errors: [{ code, message }],
  messages: [],
  result: null,
});
const UNAUTHENTICATED = failure(10000, "Authentication error: a valid gateway API key is required");
const NOT_ADMIN = failure(10000, "Forbidden: this key may not admin");
const NOT_THEIR_QUEUE = failure(10000, "Forbidden: this key may not administer that queue");

describe("admin routes: who may reach which queue", () => {
  const QUEUE = "buffered-remote";
  const seed = () => seedDeadLetters(QUEUE, 0, 3, (i) => `dead ${i}`);

  /** Every route that names a queue, with what its queue's operator gets and what must stay as it was otherwise. */
  const QUEUE_ROUTES = [
    {
      route: "POST /admin/queues/:queue/flush",
      method: "POST" as const,
      path: (q: string) => `/queues/${q}/flush`,
      body: undefined,
      allowed: () => ({
        name: QUEUE,
        upstream: "cloudflare",
        mode: "buffered",
        // The cost counters (requests, rows written, commits) are the benchmark's concern.
        buffer: expect.objectContaining({
          shards: 1,
          pending_messages: 0,
          pending_bytes: 0,
          oldest_pending_ms: 0,
          flushes: 0,
          flushed_messages: 0,
          failed_flushes: 0,
          dead_letters: 3,
          backoff_until: 0,
        }),
      }),
      remaining: (seeded: Entry[]) => seeded,
    },
    {
      route: "GET /admin/queues/:queue/dead-letters",
      method: "GET" as const,
      path: (q: string) => `/queues/${q}/dead-letters`,
      body: undefined,
      allowed: (seeded: Entry[]) => seeded,
      remaining: (seeded: Entry[]) => seeded,
    },
    {
      route: "POST /admin/queues/:queue/dead-letters/replay",
      method: "POST" as const,
      path: (q: string) => `/queues/${q}/dead-letters/replay`,
      body: { ids: [`${QUEUE}/0/1`] },
      allowed: () => ({ count: 1 }),
      remaining: (seeded: Entry[]) => seeded.filter((e) => e.id !== `${QUEUE}/0/1`),
    },
    {
      route: "POST /admin/queues/:queue/dead-letters/delete",
      method: "POST" as const,
      path: (q: string) => `/queues/${q}/dead-letters/delete`,
      body: {},
      allowed: () => ({ count: 3 }),
      remaining: () => [],
    },
  ];

  describe.each(QUEUE_ROUTES)("$route", ({ method, path, body, allowed, remaining }) => {
    async function expectRefused(key: string | null, ref: string, status: number, expected: unknown) {
      const seeded = await seed();
      const res = await adminCall(key, method, path(ref), body);
      expect(res.status).toBe(status);
      expect(res.headers.get("www-authenticate")).toBe(status === 401 ? 'Bearer realm="tributary"' : null);
      expect(await res.json()).toEqual(expected);
      expect((await list(QUEUE)).result).toEqual(seeded); // nothing listed, replayed or deleted
      expect(await bufferOf(QUEUE)).toMatchObject({ pending_messages: 0, dead_letters: 3 });
    }

    it("no key → 401", () => expectRefused(null, QUEUE, 401, UNAUTHENTICATED));
    it("unknown key → 401", () => expectRefused("not-a-key", QUEUE, 401, UNAUTHENTICATED));
    it("a key without the admin scope → 403", () => expectRefused(KEYS.pushOnly.key, QUEUE, 403, NOT_ADMIN));
    it.each([
      ["by name", QUEUE],
      ["by Cloudflare id", BUFFERED_REMOTE_QUEUE_ID],
    ])("an operator of another queue → 403 (%s)", (_how, ref) =>
      expectRefused(KEYS.adminWebhooks.key, ref, 403, NOT_THEIR_QUEUE),
    );

    it("an operator of another queue cannot tell unknown queues from forbidden ones (403 for both)", async () => {
      for (const ref of ["nonexistent", "remote", REMOTE_QUEUE_ID, "not.a.queue"]) {
        const res = await adminCall(KEYS.adminWebhooks.key, method, path(ref), body);
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual(NOT_THEIR_QUEUE);
      }
      // A key for every queue still learns that an unknown one does not exist.
      const unknown = await adminCall(DEV_KEY, method, path("nonexistent"), body);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual(failure(10104, 'Queue "nonexistent" does not exist'));
    });

    it.each([
      ["by name", QUEUE],
      ["by Cloudflare id", BUFFERED_REMOTE_QUEUE_ID],
    ])("the queue's own operator → 200 (%s)", async (_how, ref) => {
      const seeded = await seed();
      const res = await adminCall(KEYS.adminBufferedRemote.key, method, path(ref), body);
      expect(res.status).toBe(200);
      const json = (await res.json()) as { success: boolean; result: unknown };
      expect(json).toMatchObject({ success: true, errors: [], messages: [] });
      expect(json.result).toEqual(allowed(seeded));
      expect((await list(QUEUE)).result).toEqual(remaining(seeded));
    });
  });

  describe("GET /admin/queues", () => {
    const names = async (key: string | null) => {
      const res = await adminCall(key, "GET", "/queues");
      return { status: res.status, body: (await res.json()) as { result: { name: string }[] | null } };
    };

    it("no key or an unknown key → 401; a key without the admin scope → 403", async () => {
      expect(await names(null)).toEqual({ status: 401, body: UNAUTHENTICATED });
      expect(await names("not-a-key")).toEqual({ status: 401, body: UNAUTHENTICATED });
      expect(await names(KEYS.pushOnly.key)).toEqual({ status: 403, body: NOT_ADMIN });
    });

    it("lists only the key's own queues", async () => {
      const own = await names(KEYS.adminBufferedRemote.key);
      expect(own.status).toBe(200);
      expect(own.body.result!.map((q) => q.name)).toEqual(["buffered-remote"]);
      expect((await names(KEYS.adminWebhooks.key)).body.result!.map((q) => q.name)).toEqual(["webhooks"]);
      expect((await names(DEV_KEY)).body.result!.map((q) => q.name)).toContain("events");
    });
  });

  it("a refused flush leaves the queue's pending messages where they are", async () => {
    await pushBatch("small-buffer", { messages: [{ body: "waiting", content_type: "text" }] });
    for (const key of [KEYS.adminWebhooks.key, KEYS.adminBufferedRemote.key]) {
      const res = await adminCall(key, "POST", "/queues/small-buffer/flush");
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual(NOT_THEIR_QUEUE);
    }
    expect(await bufferOf("small-buffer")).toMatchObject({ pending_messages: 1, flushes: 0 });
  });

  it("the queue is checked before the body is read", async () => {
    await seed();
    const res = await SELF.fetch(`${GATEWAY}/admin/queues/${QUEUE}/dead-letters/delete`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.adminWebhooks.key}`, "content-type": "text/plain" },
      body: "{broken",
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual(NOT_THEIR_QUEUE);
  });
});

describe("dead letters by the page", () => {
  const small = (i: number) => `letter ${i}`;

  it("pages hold 100 letters by default, and the cursor is null after the last", async () => {
    const seeded = await seedDeadLetters("buffered-one", 0, 150, small);
    const first = await list("buffered-one");
    expect(first.status).toBe(200);
    expect(first.result).toEqual(seeded.slice(0, 100));
    expect(first.result_info).toEqual({ count: 100, cursor: expect.any(String) });
    const second = await list("buffered-one", `?cursor=${first.result_info.cursor}`);
    expect(second.result).toEqual(seeded.slice(100));
    expect(second.result_info).toEqual({ count: 50, cursor: null });
  });

  it("the cursor spans shards, and `limit` caps each page", async () => {
    const zero = await seedDeadLetters("buffered", 0, 3, small);
    const one = await seedDeadLetters("buffered", 1, 2, small);
    const pages: string[][] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await list("buffered", `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      pages.push(page.result.map((e) => e.id));
      cursor = page.result_info.cursor;
    }
    const ids = [...zero, ...one].map((e) => e.id);
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
  });

  it("pages stop at about 1 MB of messages, whatever the limit", async () => {
    const big = (i: number) => String(i % 10).repeat(120_000);
    const seeded = await seedDeadLetters("buffered-one", 0, 20, big);
    const counts: number[] = [];
    let cursor: string | null = "";
    const seen: Entry[] = [];
    while (cursor !== null) {
      const page = await list("buffered-one", `?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.result.reduce((n, e) => n + e.bytes, 0)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      counts.push(page.result.length);
      seen.push(...page.result);
      cursor = page.result_info.cursor;
    }
    expect(counts).toEqual([8, 8, 4]);
    expect(seen).toEqual(seeded);
  });

  it("a shard lists at least one letter on an empty page, even past the byte budget", async () => {
    await seedDeadLetters("buffered-one", 0, 2, small);
    const stub = shardStub(env, "buffered-one", 0);
    const first = await stub.listDeadLetters({ after: 0, limit: 10, max_bytes: 1, at_least_one: true });
    expect(first.letters.map((l) => l.id)).toEqual(["buffered-one/0/0"]);
    expect(first).toMatchObject({ after: 1, more: true });
    expect(await stub.listDeadLetters({ after: 1, limit: 10, max_bytes: 1, at_least_one: false })).toEqual({
      letters: [],
      after: 1,
      more: true,
    });
  });

  it("a malformed cursor or limit is a 400 in the envelope that does not echo it", async () => {
    await seedDeadLetters("buffered", 0, 1, small);
    const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const invalidCursor = {
      success: false,
      errors: [{ code: 10207, message: "cursor: Invalid cursor", source: { pointer: "/cursor" } }],
      messages: [],
      result: null,
    };
    const cursors = [
      "not*base64",
      "%3Cscript%3E",
      b64url("not json"),
      b64url("{}"),
      b64url('{"shard":0,"after":-1}'),
      b64url('{"shard":0,"after":1.5}'),
      b64url('{"shard":2,"after":0}'), // "buffered" has 2 shards
      b64url('{"shard":0,"after":0,"extra":"x"}'),
      b64url("[0,0]"),
    ];
    for (const cursor of cursors) {
      const res = await adminCall(DEV_KEY, "GET", `/queues/buffered/dead-letters?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(invalidCursor);
    }
    for (const query of [`?cursor=${"A".repeat(300)}`, "?limit=0", "?limit=1001", "?limit=abc", "?limit=2.5"]) {
      const res = await adminCall(DEV_KEY, "GET", `/queues/buffered/dead-letters${query}`);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ success: false, errors: [{ code: 10207 }], result: null });
      expect(text).not.toContain("AAAAAAAA");
      expect(text).not.toContain("abc");
    }
  });

  it("50,000 dead letters are listed page by page, replayed by id and deleted, within bounded memory", async () => {
    const body = (i: number) => `${i}:`.padEnd(2_000, "x");
    await writeDeadLetters("buffered", 0, 25_000, body);
    await writeDeadLetters("buffered", 1, 25_000, body);
    const seeded = [0, 1].flatMap((shard) => Array.from({ length: 25_000 }, (_, i) => idOf("buffered", shard, i)));
    expect(await bufferOf("buffered")).toMatchObject({ dead_letters: 50_000 });

    const seen = new Set<string>();
    let pages = 0;
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await list("buffered", `?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.result_info.count).toBe(page.result.length);
      expect(page.result.length).toBeLessThanOrEqual(1000);
      expect(page.result.reduce((n, e) => n + e.bytes, 0)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      for (const entry of page.result) {
        expect(seen.has(entry.id)).toBe(false);
        seen.add(entry.id);
      }
      pages++;
      cursor = page.result_info.cursor;
    }
    expect(seen).toEqual(new Set(seeded));
    expect(pages).toBe(Math.ceil(50_000 / Math.floor(MAX_PAGE_BYTES / messageBytes(body(0)))));

    const chosen = seeded.filter((_, i) => i % 50 === 0); // 1,000 ids over both shards
    const replayed = await adminCall(DEV_KEY, "POST", "/queues/buffered/dead-letters/replay", { ids: chosen });
    expect(await replayed.json()).toMatchObject({ result: { count: 1_000 } });
    expect(await bufferOf("buffered")).toMatchObject({ dead_letters: 49_000 });
    const listed = await list("buffered", "?limit=1000");
    expect(listed.result.some((e) => chosen.includes(e.id))).toBe(false);

    const deleted = await adminCall(DEV_KEY, "POST", "/queues/buffered/dead-letters/delete", {});
    expect(await deleted.json()).toMatchObject({ result: { count: 49_000 } });
    expect(await bufferOf("buffered")).toMatchObject({ dead_letters: 0 });
    expect(await list("buffered")).toMatchObject({ result: [], result_info: { count: 0, cursor: null } });
  });
});
