/**
 * The limits that bound what one request may cost and the rules that stop one sender from
 * speaking for another: compressed bodies only where declared and only after header-only
 * authentication, bounded signature lists, deduplication scoped to the caller and keyed on
 * signed data, and JSON that means the same to every parser.
 */
import { reset } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { sign as signGitHub } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterEach, describe, expect, it } from "vitest";
import { decode, drain, envelope } from "./support/api";
import { DEV_SECRET, KEYS, STANDARD_DEV_SECRET } from "./support/constants";
import { appRequest, ingest, now, signedStandardRequest, signedStripeRequest, stripeEvent } from "./support/signing";

afterEach(() => reset());

async function refused(res: Response, status: number, code: number, message?: string) {
  const body = await envelope(res);
  expect({ status: res.status, success: body.success, code: body.errors[0]?.code }).toEqual({
    status,
    success: false,
    code,
  });
  if (message) expect(body.errors[0]?.message).toBe(message);
  return body;
}

const gzip = async (bytes: Uint8Array) =>
  new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );

/** gzip of `megabytes` MB of zeros, compressed as a stream (no buffer of that size exists). */
async function bomb(megabytes: number): Promise<Uint8Array> {
  let sent = 0;
  const zeros = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === megabytes) controller.close();
      else controller.enqueue(new Uint8Array(1_000_000));
    },
  });
  return new Uint8Array(await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

describe("compressed bodies", () => {
  it("are refused with 415 on sources that do not declare Content-Encoding, before anything is inflated", async () => {
    const body = await gzip(new TextEncoder().encode('{"action":"opened"}'));
    const res = await ingest("github", body, {
      "content-type": "application/json",
      "content-encoding": "gzip",
      "x-hub-signature-256": "sha256=00",
    });
    await refused(res, 415, 10415, "This source does not accept compressed bodies");
    expect(await drain("webhooks")).toEqual([]);
  });

  it("are inflated only after a header-only key was accepted: a bad key gets 401, not an inflation error", async () => {
    const corrupt = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
    const res = await appRequest(corrupt as unknown as string, { "content-encoding": "gzip" }, "not-a-key");
    await refused(res, 401, 10000, "Unauthorized");
    const ok = await appRequest(corrupt as unknown as string, { "content-encoding": "gzip" });
    await refused(ok, 400, 10208);
  });

  // Memory stays within a small constant of the cap: measured by `npm run bench -- --bomb`.
  it("a bomb stops at the cap (413) on a source that declares gzip; nothing is enqueued", async () => {
    const body = await bomb(500);
    expect(body.byteLength).toBeLessThan(1_000_000);
    await refused(
      await appRequest(body as unknown as string, { "content-encoding": "gzip" }),
      413,
      10413,
      "Decompressed body exceeds 1000000 bytes",
    );
    expect(await drain("events")).toEqual([]);
  });
});

describe("signature lists are bounded before any HMAC runs", () => {
  const stripe = new Stripe("sk_test_unused");
  const signedHeader = (body: string, at = now()) =>
    stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret: DEV_SECRET, timestamp: at });
  const junk = (n: number) => Array.from({ length: n }, (_, i) => `v1=${i.toString(16).padStart(64, "0")}`);

  it("Stripe: more than five distinct v1 entries are refused even when one of them is valid", async () => {
    const body = stripeEvent();
    const valid = await signedHeader(body);
    const res = await ingest("stripe", body, {
      "content-type": "application/json",
      "stripe-signature": [valid, ...junk(5)].join(","),
    });
    await refused(res, 401, 10000, "Unauthorized");
    expect(await drain("webhooks")).toEqual([]);
  });

  it("Stripe: repeats of one signature count once, and five entries are accepted", async () => {
    const body = stripeEvent();
    const valid = await signedHeader(body);
    const v1 = valid.split(",").find((p) => p.startsWith("v1="));
    const res = await ingest("stripe", body, {
      "content-type": "application/json",
      "stripe-signature": [valid, v1, v1, v1, ...junk(3)].join(","),
    });
    expect(res.status).toBe(202);
  });

  it("Stripe: a signature header over 1 KB is refused", async () => {
    const body = stripeEvent();
    const valid = await signedHeader(body);
    const res = await ingest("stripe", body, {
      "content-type": "application/json",
      "stripe-signature": `${valid},${"x".repeat(1024)}`,
    });
    await refused(res, 401, 10000, "Unauthorized");
  });

  it("Standard Webhooks: thousands of v1 entries with a current timestamp are refused, a valid one among them or not", async () => {
    const id = "msg_bounded";
    const at = now();
    const body = '{"type":"user.created"}';
    const valid = new Webhook(STANDARD_DEV_SECRET).sign(id, new Date(at * 1000), body);
    const junk = Array.from({ length: 2700 }, (_, i) => `v1,${btoa(String(i).padStart(32, "0"))}`);
    for (const entries of [
      [valid, ...junk],
      [valid, ...junk.slice(0, 5)],
    ]) {
      const res = await signedStandardRequest({ body, at, headers: { "webhook-signature": entries.join(" ") } }, id);
      await refused(res, 401, 10000, "Unauthorized");
    }
    expect(await drain("webhooks")).toEqual([]);
    expect(
      (
        await signedStandardRequest(
          { body, at, headers: { "webhook-signature": [valid, ...junk.slice(0, 4)].join(" ") } },
          id,
        )
      ).status,
    ).toBe(202);
  });
});

describe("deduplication", () => {
  const app = (body: string, key: string, id: string) => appRequest(body, { "idempotency-key": id }, key);

  it("is scoped to the caller: another key's identical Idempotency-Key is not its duplicate and learns nothing", async () => {
    const a = await app('{"event":"order","properties":{"by":"a"}}', KEYS.pushOnly.key, "order-42");
    const b = await app('{"event":"order","properties":{"by":"b"}}', KEYS.eventsOnly.key, "order-42");
    expect([a.status, b.status]).toEqual([202, 202]);
    const [aIds, bIds] = [
      (await envelope<{ ids: string[] }>(a)).result.ids,
      (await envelope<{ ids: string[] }>(b)).result.ids,
    ];
    expect(aIds).not.toEqual(bIds);
    expect(
      (await drain("events")).map((m) => (decode(m) as { data: { properties: { by: string } } }).data.properties.by),
    ).toEqual(["a", "b"]);
  });

  it("hashes the whole id: two long ids sharing their first 256 characters are different deliveries", async () => {
    const prefix = "p".repeat(300);
    const first = await app('{"event":"one"}', KEYS.dev.key, `${prefix}-1`);
    const second = await app('{"event":"two"}', KEYS.dev.key, `${prefix}-2`);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await drain("events")).toHaveLength(2);
  });

  it("the same id with a different payload is a 422, not a silent duplicate; the same payload is a duplicate", async () => {
    const first = await app('{"event":"paid","properties":{"amount":10}}', KEYS.dev.key, "pay-1");
    expect(first.status).toBe(202);
    const other = await app('{"event":"paid","properties":{"amount":99}}', KEYS.dev.key, "pay-1");
    await refused(other, 422, 10410, "This delivery id was already used with a different payload");
    const again = await app('{"event":"paid","properties":{"amount":10}}', KEYS.dev.key, "pay-1");
    expect(again.status).toBe(200);
    expect((await envelope(again)).result).toEqual({
      ids: (await envelope<{ ids: string[] }>(first)).result.ids,
      duplicate: true,
    });
    expect(await drain("events")).toHaveLength(1);
  });

  it("is off by default on sources without authentication: an anonymous sender cannot claim an id first", async () => {
    for (const who of ["squatter", "owner"]) {
      const res = await ingest("tiny", JSON.stringify({ who }), {
        "content-type": "application/json",
        "idempotency-key": "invoice-7",
      });
      expect(res.status).toBe(202);
    }
    expect(await drain("webhooks")).toHaveLength(2);
  });

  it("GitHub: a byte-identical replay with a fresh X-GitHub-Delivery and another X-GitHub-Event is a duplicate", async () => {
    const body = '{"action":"opened","issue":{"number":1}}';
    const signature = await signGitHub(DEV_SECRET, body);
    const send = (delivery: string, event: string) =>
      ingest("github", body, {
        "content-type": "application/json",
        "x-hub-signature-256": signature,
        "x-github-delivery": delivery,
        "x-github-event": event,
      });
    const first = await send("d-1", "issues");
    expect(first.status).toBe(202);
    const replay = await send("d-2", "push");
    expect(replay.status).toBe(200);
    expect((await envelope(replay)).result).toMatchObject({ duplicate: true });
    const delivered = (await drain("webhooks")).map(decode) as { event: string; delivery_id: string }[];
    expect(delivered.map((m) => [m.event, m.delivery_id])).toEqual([["issues", "d-1"]]);
  });

  it("Shopify: a byte-identical replay with a fresh webhook id is a duplicate", async () => {
    const body = '{"id":820982911946154508}';
    const hmac = createHmac("sha256", DEV_SECRET).update(body).digest("base64");
    const send = (id: string) =>
      ingest("shopify", body, {
        "content-type": "application/json",
        "x-shopify-hmac-sha256": hmac,
        "x-shopify-webhook-id": id,
        "x-shopify-topic": "orders/create",
      });
    expect((await send("w-1")).status).toBe(202);
    expect((await send("w-2")).status).toBe(200);
    expect(await drain("webhooks")).toHaveLength(1);
  });

  it("Stripe: the signed event id identifies the delivery; a re-signed retry is a duplicate", async () => {
    const body = stripeEvent("evt_same");
    expect((await signedStripeRequest({ body, at: now() - 10 })).status).toBe(202);
    expect((await signedStripeRequest({ body })).status).toBe(200);
    expect(await drain("webhooks")).toHaveLength(1);
  });
});

describe("JSON with duplicate keys on a source with a schema", () => {
  it("is refused with 400 and the key's path, and nothing is enqueued", async () => {
    const single = await appRequest('{"event":"signup","event":"admin_granted"}');
    const body = await refused(single, 400, 10208, "Body has a duplicate JSON key at event");
    expect((body.errors[0] as { path?: unknown }).path).toEqual(["event"]);
    const batch = await appRequest('[{"event":"a"},{"event":"b","properties":{"k":1,"\\u006b":2}}]');
    const batchBody = await refused(batch, 400, 10208);
    expect((batchBody.errors[0] as { path?: unknown }).path).toEqual([1, "properties", "k"]);
    expect(await drain("events")).toEqual([]);
  });

  it("equal keys in different objects are fine", async () => {
    const res = await appRequest('{"event":"a","properties":{"event":"b","nested":{"event":"c"}}}');
    expect(res.status).toBe(202);
  });
});
