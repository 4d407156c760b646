/**
 * Fan-out is one acceptance step: when one queue fails (a push to the Cloudflare stand-in answered
 * 500), the sender gets 503 and the retry delivers once to each queue, with the same id
 * everywhere; a queue that failed first stops the walk, so nothing is enqueued anywhere. And a
 * fast-check property over HTTP: for any event, the queues hold exactly what the rules name, and
 * an event a drop rule stops is in no queue.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { DEV_KEY, drain, envelope, GATEWAY } from "./support/api";
import { injectFaults } from "./support/peer";
import { delivered, send } from "./support/providers";

interface Answer {
  ids: string[];
  queues?: string[];
  dropped?: number;
  duplicate?: true;
}

const post = (source: string, body: unknown, headers: Record<string, string> = {}) =>
  send(source, {
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", ...headers },
  });

async function answer(res: Response): Promise<{ status: number; result: Answer | null; retryAfter: string | null }> {
  const body = await envelope<Answer>(res);
  return { status: res.status, result: body.result, retryAfter: res.headers.get("retry-after") };
}

const ids = async (queue: string) => (await delivered(queue)).map((m) => m.id);

beforeEach(async () => {
  await injectFaults();
  for (const queue of ["remote", "webhooks", "audit", "events", "billing"]) await drain(queue);
});

describe("fan-out atomicity", () => {
  it("one queue failing answers 503; the retry delivers only the missing copy, under the same id", async () => {
    await injectFaults([{ status: 500 }]);
    const failed = await answer(await post("routed-remote", { type: "local-first" }, { "idempotency-key": "fan-1" }));
    expect(failed).toMatchObject({ status: 503, retryAfter: "5" });
    // The first queue took its copy: its consumers may see it before the other copy exists.
    const [first] = await ids("webhooks");
    expect(await ids("remote")).toEqual([]);

    const retried = await answer(await post("routed-remote", { type: "local-first" }, { "idempotency-key": "fan-1" }));
    expect(retried).toMatchObject({ status: 202, result: { ids: [first], queues: ["webhooks", "remote"] } });
    expect({ webhooks: await ids("webhooks"), remote: await ids("remote") }).toEqual({ webhooks: [], remote: [first] });

    const again = await answer(await post("routed-remote", { type: "local-first" }, { "idempotency-key": "fan-1" }));
    expect(again).toMatchObject({ status: 200, result: { ids: [first], duplicate: true } });
    expect({ webhooks: await ids("webhooks"), remote: await ids("remote") }).toEqual({ webhooks: [], remote: [] });
  });

  it("the first queue failing stops the walk: nothing anywhere, then the retry delivers to both with one id", async () => {
    await injectFaults([{ status: 500 }]);
    expect(
      (await answer(await post("routed-remote", { type: "remote-first" }, { "idempotency-key": "fan-2" }))).status,
    ).toBe(503);
    expect({ webhooks: await ids("webhooks"), remote: await ids("remote") }).toEqual({ webhooks: [], remote: [] });

    const retried = await answer(await post("routed-remote", { type: "remote-first" }, { "idempotency-key": "fan-2" }));
    expect(retried.result?.queues).toEqual(["remote", "webhooks"]);
    const [id] = retried.result!.ids;
    expect({ webhooks: await ids("webhooks"), remote: await ids("remote") }).toEqual({ webhooks: [id], remote: [id] });
  });

  it("a route that skips the source's queue: its records stay there, its messages go only where routed", async () => {
    await injectFaults([{ status: 500 }]);
    expect(
      (await answer(await post("routed-remote", { type: "elsewhere" }, { "idempotency-key": "fan-3" }))).status,
    ).toBe(503);
    const [first] = await ids("audit");
    const retried = await answer(await post("routed-remote", { type: "elsewhere" }, { "idempotency-key": "fan-3" }));
    expect(retried).toMatchObject({ status: 202, result: { ids: [first], queues: ["audit", "remote"] } });
    expect({ audit: await ids("audit"), remote: await ids("remote"), webhooks: await ids("webhooks") }).toEqual({
      audit: [],
      remote: [first],
      webhooks: [],
    });
  });

  it("a buffered queue among the targets remembers the delivery in its shard: a repeat adds no copy there either", async () => {
    const first = await answer(await post("routed-remote", { type: "to-buffer" }, { "idempotency-key": "fan-4" }));
    const again = await answer(await post("routed-remote", { type: "to-buffer" }, { "idempotency-key": "fan-4" }));
    expect(first).toMatchObject({ status: 202, result: { queues: ["webhooks", "buffered"] } });
    expect(again).toMatchObject({ status: 200, result: { ids: first.result!.ids, duplicate: true } });
    const flushed = await SELF.fetch(`${GATEWAY}/admin/queues/buffered/flush`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_KEY}` },
    });
    expect(flushed.status).toBe(200);
    expect({ webhooks: await ids("webhooks"), buffered: await ids("buffered") }).toEqual({
      webhooks: first.result!.ids,
      buffered: first.result!.ids,
    });
  });

  it("on a buffered source queue, the routing record is one row, not a message; a re-routed repeat goes nowhere", async () => {
    const flushAndDrain = async () => {
      await SELF.fetch(`${GATEWAY}/admin/queues/buffered/flush`, {
        method: "POST",
        headers: { authorization: `Bearer ${DEV_KEY}` },
      });
      return ids("buffered");
    };
    const rowsWritten = async () => {
      const res = await SELF.fetch(`${GATEWAY}/admin/queues`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
      const queues = (await envelope<{ name: string; buffer: { rows_written: number } }[]>(res)).result!;
      return queues.find((q) => q.name === "buffered")!.buffer.rows_written;
    };
    await flushAndDrain();
    const before = await rowsWritten();
    const first = await answer(
      await post("routed-buffered", { n: 1 }, { "idempotency-key": "buf-1", "x-route": "away" }),
    );
    expect(first).toMatchObject({ status: 202, result: { queues: ["audit"] } });
    expect((await rowsWritten()) - before).toBe(1);
    const rerouted = await answer(await post("routed-buffered", { n: 1 }, { "idempotency-key": "buf-1" }));
    expect(rerouted).toMatchObject({ status: 200, result: { duplicate: true } });
    expect({ audit: await ids("audit"), buffered: await flushAndDrain() }).toEqual({
      audit: first.result!.ids,
      buffered: [],
    });
  });

  it("without deduplication (no Idempotency-Key), a retry after a partial failure repeats the copies that were kept", async () => {
    await injectFaults([{ status: 500 }]);
    expect((await answer(await post("routed-remote", { type: "local-first" }))).status).toBe(503);
    expect((await answer(await post("routed-remote", { type: "local-first" }))).status).toBe(202);
    expect({ webhooks: (await ids("webhooks")).length, remote: (await ids("remote")).length }).toEqual({
      webhooks: 2,
      remote: 1,
    });
  });
});

/** The `routed` rules (test/support/rules.ts) written out by hand: an oracle independent of src/rules. */
function expectedQueues(e: {
  type: string;
  audit: boolean;
  tenant?: string;
  livemode?: boolean;
  status?: string;
  tier: boolean;
}): string[] {
  const queues = e.audit ? ["audit"] : [];
  const add = (...names: string[]) => [...new Set([...queues, ...names])];
  if (e.tenant?.startsWith("test-")) return [];
  if (e.type.startsWith("invoice.")) return add("billing");
  if ((e.type === "customer.created" || e.type === "customer.updated") && e.livemode !== false)
    return add("billing", "audit");
  if (e.status === "refunded" || e.status === "partially_refunded") return add("audit");
  if (e.tenant === "vip" || e.tier) return add("billing");
  if (e.type === "ping") return [];
  return queues.length ? queues : ["events"];
}

const event = fc.record({
  type: fc.constantFrom(
    "invoice.paid",
    "invoice.",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "charge.updated",
    "ping",
    "other",
  ),
  audit: fc.boolean(),
  tenant: fc.option(fc.constantFrom("vip", "test-1", "acme", "VIP"), { nil: undefined }),
  livemode: fc.option(fc.boolean(), { nil: undefined }),
  status: fc.option(fc.constantFrom("paid", "refunded", "partially_refunded"), { nil: undefined }),
  tier: fc.boolean(),
});

describe("routing over HTTP (property)", () => {
  it("every event is in exactly the queues the rules name, under one id; a dropped one is in none", async () => {
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const body = {
          type: e.type,
          ...(e.audit && { audit: true }),
          data: {
            object: {
              ...(e.livemode !== undefined && { livemode: e.livemode }),
              ...(e.status && { status: e.status }),
            },
          },
          ...(e.tier && { metadata: { "tier.level": 1 } }),
        };
        const sent = await answer(await post("routed", body, e.tenant ? { "x-tenant": e.tenant } : {}));
        const expected = expectedQueues(e);
        expect(sent.status).toBe(202);
        expect(sent.result?.queues).toEqual(expected);
        const held: Record<string, string[]> = {};
        for (const queue of ["events", "billing", "audit"]) {
          const found = await ids(queue);
          if (found.length) held[queue] = found;
        }
        expect(held).toEqual(Object.fromEntries(expected.map((q) => [q, sent.result!.ids])));
        if (expected.length === 0) expect(sent.result).toEqual({ ids: [], queues: [], dropped: 1 });
      }),
      { numRuns: 40 },
    );
  });
});
