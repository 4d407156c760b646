/**
 * Recent refusals for operators: a refused ingest or tracking request is remembered after the
 * answer (source, reason, status, time, request id; never its body or headers), each source
 * keeps its last KEEP_PER_SOURCE, and GET /admin/refusals shows a key only the sources of the
 * queues it administers.
 */
import { env, reset, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { KEEP_PER_SOURCE, refusalLogStub } from "../src/refusals/store";
import { GATEWAY } from "./support/api";
import { KEYS } from "./support/constants";
import { appRequest, ingest, now, signedGitHubRequest, signedStripeRequest } from "./support/signing";
import { track } from "./support/tracking";

afterEach(() => reset());

interface Entry {
  source: string;
  queue: string;
  reason: string;
  status: number;
  at: number;
  request_id: string;
}
interface Listing {
  success: boolean;
  errors: { code: number; message: string }[];
  result: Entry[] | null;
  result_info?: { count: number };
}

async function refusals(query = "", key: string = KEYS.dev.key): Promise<{ status: number; body: Listing }> {
  const res = await SELF.fetch(`${GATEWAY}/admin/refusals${query}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Listing };
}

/** The refusals listing once it holds `count` entries (they are written after the answer). */
async function recorded(count: number, query = "", key: string = KEYS.dev.key): Promise<Entry[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { status, body } = await refusals(query, key);
    expect(status).toBe(200);
    if ((body.result?.length ?? 0) >= count || Date.now() > deadline) return body.result ?? [];
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("refusal log", () => {
  it("records a refused webhook's source, reason, status, time and request id, never its body or headers", async () => {
    const before = Date.now();
    const res = await signedGitHubRequest({
      secret: "wrong-secret",
      body: '{"secret_body_marker":true}',
      headers: { "x-leak-marker": "header-marker" },
    });
    expect(res.status).toBe(401);
    const requestId = res.headers.get("x-request-id");
    const [entry, ...rest] = await recorded(1, "?source=github");
    expect(rest).toEqual([]);
    expect(entry).toEqual({
      source: "github",
      queue: "webhooks",
      reason: "signature_mismatch",
      status: 401,
      at: expect.any(Number),
      request_id: requestId,
    });
    expect(entry!.at).toBeGreaterThanOrEqual(before);
    const text = JSON.stringify(await refusals());
    expect(text).not.toContain("secret_body_marker");
    expect(text).not.toContain("header-marker");
  });

  it("names each reason as the log line does: timestamp_too_old, validation_failed, unsupported_media_type", async () => {
    expect((await signedStripeRequest({ at: now() - 3_600 })).status).toBe(401);
    expect((await appRequest(JSON.stringify({ not: "an app event" }))).status).toBe(422);
    expect((await ingest("github", "x", { "content-type": "application/xml" })).status).toBe(415);
    const entries = await recorded(3);
    expect(entries.map((e) => [e.source, e.reason, e.status]).sort()).toEqual([
      ["app", "validation_failed", 422],
      ["github", "unsupported_media_type", 415],
      ["stripe", "timestamp_too_old", 401],
    ]);
    expect(entries.map((e) => e.at)).toEqual(entries.map((e) => e.at).sort((a, b) => b - a));
  });

  it("records Segment-protocol refusals under the write key's source; an unknown key names no source and is not recorded", async () => {
    expect((await track("track", "{not json")).status).toBe(400);
    expect((await track("track", { type: "track" }, { key: "no-such-write-key" })).status).toBe(401);
    const entries = await recorded(1);
    expect(entries.map((e) => [e.source, e.queue, e.reason])).toEqual([["segment", "events", "malformed_json"]]);
  });

  it("refusals arriving while a write is in flight ride on the next: none is lost", async () => {
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => signedGitHubRequest({ secret: "wrong-secret" })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(401));
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    const entries = await recorded(25, "?source=github");
    expect(entries.map((e) => e.request_id).sort()).toEqual(ids.sort());
  });

  it(`each source keeps its last ${KEEP_PER_SOURCE}; its neighbours in the queue keep theirs`, async () => {
    const stub = refusalLogStub(env, "webhooks");
    const row = (source: string, i: number) => ({
      source,
      reason: "signature_mismatch",
      status: 401,
      at: 1_000 + i,
      request_id: `${source}-${i}`,
    });
    await stub.record([row("stripe", 0), row("stripe", 1)]);
    await stub.record(Array.from({ length: KEEP_PER_SOURCE + 50 }, (_, i) => row("github", i)));
    const github = await stub.list(["github"], 1_000);
    expect(github).toHaveLength(KEEP_PER_SOURCE);
    expect(github[0]?.request_id).toBe(`github-${KEEP_PER_SOURCE + 49}`);
    expect(github.at(-1)?.request_id).toBe("github-50");
    expect((await stub.list(["stripe"], 1_000)).map((r) => r.request_id)).toEqual(["stripe-1", "stripe-0"]);
  });

  it("a key sees only the sources of the queues it administers; any other source, known or not, is the same 403", async () => {
    await signedGitHubRequest({ secret: "wrong-secret" });
    await appRequest("{}");
    expect((await recorded(2)).map((e) => e.source).sort()).toEqual(["app", "github"]);
    const webhooksOperator = await recorded(1, "", KEYS.adminWebhooks.key);
    expect(webhooksOperator.map((e) => e.source)).toEqual(["github"]);
    const forbidden = [
      await refusals("?source=app", KEYS.adminWebhooks.key),
      await refusals("?source=no-such-source", KEYS.adminWebhooks.key),
    ];
    expect(forbidden.map((r) => r.status)).toEqual([403, 403]);
    expect(forbidden[0]?.body.errors).toEqual(forbidden[1]?.body.errors);
    expect((await refusals("", KEYS.pushOnly.key)).status).toBe(403);
    const anonymous = await SELF.fetch(`${GATEWAY}/admin/refusals`);
    expect(anonymous.status).toBe(401);
  });

  it("validates its query: limit is 1 to 1000", async () => {
    for (const limit of ["0", "1001", "x"]) expect((await refusals(`?limit=${limit}`)).status, limit).toBe(400);
    await signedGitHubRequest({ secret: "wrong-secret" });
    await signedGitHubRequest({ secret: "wrong-secret" });
    await recorded(2);
    const { body } = await refusals("?limit=1");
    expect(body.result).toHaveLength(1);
    expect(body.result_info).toEqual({ count: 1 });
  });
});
