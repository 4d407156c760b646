/**
 * Source rules through `POST /ingest/:source`: GitHub's example rules as shipped, routing by
 * event, header and payload on a test source (`routed`, test/support/rules.ts), fan-out with one
 * id per message in every queue, drops answered like success and never enqueued, batches decided
 * item by item, a form that drops empty messages, and deduplication that treats a routed delivery
 * as one: a repeat lands nowhere, even when its unsigned headers would route it elsewhere.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEV_KEY, envelope, GATEWAY } from "./support/api";
import { delivered, type EnvelopeMessage, resetAfterEach, send } from "./support/providers";
import { signedGitHubRequest } from "./support/signing";

resetAfterEach();

interface Answer {
  ids: string[];
  queues?: string[];
  dropped?: number;
  items?: { index: number; id?: string; queues: string[]; dropped?: true }[];
  duplicate?: true;
}

const QUEUES = ["events", "billing", "audit", "builds", "webhooks", "forms"];

/** A `routed` event (key auth), optionally with an Idempotency-Key and a tenant header. */
function post(body: unknown, headers: Record<string, string> = {}) {
  return send("routed", {
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", ...headers },
  });
}

async function accepted(res: Response, status = 202): Promise<Answer> {
  const body = await envelope<Answer>(res);
  expect({ status: res.status, success: body.success }).toEqual({ status, success: true });
  return body.result;
}

/** Every queue's messages now (drained), as `{queue: [event, id]…}`, empty queues left out. */
async function where(): Promise<Record<string, [string | null, string][]>> {
  const out: Record<string, [string | null, string][]> = {};
  for (const queue of QUEUES) {
    const messages = await delivered(queue);
    if (messages.length) out[queue] = messages.map((m: EnvelopeMessage) => [m.event, m.id]);
  }
  return out;
}

describe("GitHub's example rules", () => {
  it("push goes to builds, issues and pull requests to webhooks, other events to webhooks by default", async () => {
    const answers: Record<string, Answer> = {};
    for (const event of ["push", "issues", "pull_request", "release"]) {
      answers[event] = await accepted(
        await signedGitHubRequest({ body: JSON.stringify({ event }), headers: { "x-github-event": event } }),
      );
    }
    expect(Object.fromEntries(Object.entries(answers).map(([event, a]) => [event, a.queues]))).toEqual({
      push: ["builds"],
      issues: ["webhooks"],
      pull_request: ["webhooks"],
      release: ["webhooks"],
    });
    const id = (event: string) => answers[event]!.ids[0]!;
    expect(await where()).toEqual({
      builds: [["push", id("push")]],
      webhooks: [
        ["issues", id("issues")],
        ["pull_request", id("pull_request")],
        ["release", id("release")],
      ],
    });
  });

  it("a ping is dropped: 202 as for any delivery, counted, never enqueued", async () => {
    const answer = await accepted(
      await signedGitHubRequest({ body: '{"zen":"Keep it simple."}', headers: { "x-github-event": "ping" } }),
    );
    expect(answer).toEqual({ ids: [], queues: [], dropped: 1 });
    expect(await where()).toEqual({});
  });
});

describe("routing by event, header and payload", () => {
  it("an event glob routes invoice.* to billing only", async () => {
    const answer = await accepted(await post({ type: "invoice.paid", data: { object: { status: "paid" } } }));
    expect(answer.queues).toEqual(["billing"]);
    expect(await where()).toEqual({ billing: [["invoice.paid", answer.ids[0]!]] });
  });

  it("a live customer event fans out to billing and audit, with the same id in both", async () => {
    const answer = await accepted(await post({ type: "customer.created", data: { object: { livemode: true } } }));
    expect(answer.queues).toEqual(["billing", "audit"]);
    const [id] = answer.ids;
    expect(await where()).toEqual({ billing: [["customer.created", id]], audit: [["customer.created", id]] });
  });

  it("not: a test-mode customer event is not a live one, and goes to the source's queue", async () => {
    const answer = await accepted(await post({ type: "customer.updated", data: { object: { livemode: false } } }));
    expect(answer.queues).toEqual(["events"]);
    expect(await where()).toEqual({ events: [["customer.updated", answer.ids[0]!]] });
  });

  it("header prefix: a test- tenant's events are dropped, answered 202, never enqueued", async () => {
    const answer = await accepted(await post({ type: "invoice.paid", audit: true }, { "x-tenant": "test-7" }));
    expect(answer).toEqual({ ids: [], queues: [], dropped: 1 });
    expect(await where()).toEqual({});
  });

  it("route + continue: a flagged event gets an audit copy and still goes where the later rules say", async () => {
    const answer = await accepted(await post({ type: "invoice.paid", audit: true }));
    expect(answer.queues).toEqual(["audit", "billing"]);
    const [id] = answer.ids;
    expect(await where()).toEqual({ audit: [["invoice.paid", id]], billing: [["invoice.paid", id]] });
  });

  it("payload one_of, header equals, and a list path to a key with a dot in it", async () => {
    const refund = await accepted(
      await post({ type: "charge.updated", data: { object: { status: "partially_refunded" } } }),
    );
    const vip = await accepted(await post({ type: "charge.updated" }, { "x-tenant": "vip" }));
    const tiered = await accepted(await post({ type: "charge.updated", metadata: { "tier.level": 2 } }));
    const dotted = await accepted(await post({ type: "charge.updated", metadata: { tier: { level: 2 } } }));
    expect([refund, vip, tiered, dotted].map((a) => a.queues)).toEqual([
      ["audit"],
      ["billing"],
      ["billing"],
      ["events"],
    ]);
  });

  it("an event no rule routes (a continue rule only counts it) goes to the source's queue", async () => {
    const answer = await accepted(await post({ type: "customer.deleted" }));
    expect(answer.queues).toEqual(["events"]);
    expect(await where()).toEqual({ events: [["customer.deleted", answer.ids[0]!]] });
  });

  it("a batch is decided item by item, and the answer says where each item went", async () => {
    const answer = await accepted(
      await post([
        { type: "invoice.paid" },
        { type: "ping" },
        { type: "customer.created", data: { object: { livemode: true } } },
        { type: "other" },
      ]),
    );
    const [invoice, customer, other] = answer.ids;
    expect(answer).toEqual({
      ids: [invoice, customer, other],
      queues: ["billing", "audit", "events"],
      dropped: 1,
      items: [
        { index: 0, id: invoice, queues: ["billing"] },
        { index: 1, queues: [], dropped: true },
        { index: 2, id: customer, queues: ["billing", "audit"] },
        { index: 3, id: other, queues: ["events"] },
      ],
    });
    expect(await where()).toEqual({
      events: [["other", other]],
      billing: [
        ["invoice.paid", invoice],
        ["customer.created", customer],
      ],
      audit: [["customer.created", customer]],
    });
  });

  it("a form post with a missing or empty message is dropped; a filled one goes to forms", async () => {
    const form = (body: string) =>
      send("routed-form", { body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(await accepted(await form("name=Ada&message="))).toEqual({ ids: [], queues: [], dropped: 1 });
    expect(await accepted(await form("name=Ada"))).toEqual({ ids: [], queues: [], dropped: 1 });
    const kept = await accepted(await form("name=Ada&message=Hello"));
    expect(kept.queues).toEqual(["forms"]);
    expect((await delivered("forms")).map((m) => [m.id, m.data])).toEqual([
      [kept.ids[0], { name: "Ada", message: "Hello" }],
    ]);
  });
});

describe("one delivery, however many queues", () => {
  it("a repeat is a duplicate everywhere: 200 with the first ids, and no queue gets a second copy", async () => {
    const event = { type: "customer.created", data: { object: { livemode: true } } };
    const first = await accepted(await post(event, { "idempotency-key": "cus-1" }));
    const again = await accepted(await post(event, { "idempotency-key": "cus-1" }), 200);
    expect(again).toEqual({ ids: first.ids, duplicate: true });
    expect(await where()).toEqual({
      billing: [["customer.created", first.ids[0]!]],
      audit: [["customer.created", first.ids[0]!]],
    });
  });

  it("a repeat whose headers would route it elsewhere lands nowhere: the first routing stands", async () => {
    const event = { type: "charge.updated" };
    const first = await accepted(await post(event, { "idempotency-key": "ch-1", "x-tenant": "vip" }));
    expect(first.queues).toEqual(["billing"]);
    for (const tenant of ["acme", "test-1"]) {
      expect(await accepted(await post(event, { "idempotency-key": "ch-1", "x-tenant": tenant }), 200)).toMatchObject({
        duplicate: true,
      });
    }
    expect(await where()).toEqual({ billing: [["charge.updated", first.ids[0]!]] });
  });

  it("GitHub: a replay of a signed body with another X-GitHub-Event reaches no queue the first did not", async () => {
    const body = '{"ref":"refs/heads/main"}';
    const first = await accepted(await signedGitHubRequest({ body, headers: { "x-github-event": "issues" } }));
    const replay = await signedGitHubRequest({ body, headers: { "x-github-event": "push" } });
    expect(await accepted(replay, 200)).toMatchObject({ duplicate: true });
    expect(await where()).toEqual({ webhooks: [["issues", first.ids[0]!]] });
  });

  it("the same Idempotency-Key with another payload is 422 (10410), and nothing moves", async () => {
    await accepted(await post({ type: "invoice.paid", n: 1 }, { "idempotency-key": "inv-1" }));
    const other = await post({ type: "invoice.paid", n: 2 }, { "idempotency-key": "inv-1" });
    expect(other.status).toBe(422);
    expect((await envelope(other)).errors[0]?.code).toBe(10410);
    expect(Object.keys(await where())).toEqual(["billing"]);
  });

  it("a dropped delivery's repeat is a duplicate too, and still goes nowhere", async () => {
    const first = await post({ type: "invoice.paid" }, { "idempotency-key": "t-1", "x-tenant": "test-1" });
    expect(await accepted(first)).toEqual({ ids: [], queues: [], dropped: 1 });
    expect(
      await accepted(await post({ type: "invoice.paid" }, { "idempotency-key": "t-1", "x-tenant": "acme" }), 200),
    ).toEqual({ ids: [], duplicate: true });
    expect(await where()).toEqual({});
  });
});

describe("documentation", () => {
  it("/openapi.json describes each source's rules in its operation", async () => {
    const res = await SELF.fetch(`${GATEWAY}/openapi.json`);
    const spec = (await res.json()) as { paths: Record<string, { post?: { summary: string; description: string } }> };
    const github = spec.paths["/ingest/github"]?.post;
    expect(github?.summary).toBe('Ingest, routed by rules (default queue "webhooks")');
    expect(github?.description).toContain(
      "1. (builds) event is push → builds. 2. (triage) event is one of issues, pull_request → webhooks. 3. (pings) event is ping → dropped (answered 2xx, never enqueued). Otherwise → webhooks.",
    );
    expect(spec.paths["/ingest/routed"]?.post?.description).toContain(
      "5. (live customers) (event is one of customer.created, customer.updated and not payload data.object.livemode = false) → billing + audit.",
    );
    expect(spec.paths["/ingest/stripe"]?.post?.description).not.toContain("Rules");
  });
});
