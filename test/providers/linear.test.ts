/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>`; the signed body's `webhookTimestamp`
 * (ms) within 60 s either way. The builder below is proved by Linear's SDK (LinearWebhookClient,
 * in workerd).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { LinearWebhookClient } from "@linear/sdk/webhooks";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectDuplicate,
  expectRotation,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  ROTATING_SECRETS,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";

const linearSignature = (body: string, secret = DEV_SECRET) => createHmac("sha256", secret).update(body).digest("hex");

/** A Linear entity webhook, stamped `at` (ms) unless told otherwise. */
const linearEvent = (fields: Record<string, unknown> = {}, at = Date.now()) =>
  JSON.stringify({
    action: "create",
    type: "Issue",
    data: { id: crypto.randomUUID(), title: "é ✓" },
    organizationId: "org_1",
    webhookId: "wh_1",
    webhookTimestamp: at,
    ...fields,
  });

const headers = (signature: string, delivery = crypto.randomUUID()) => ({
  "content-type": "application/json",
  "linear-signature": signature,
  "linear-delivery": delivery,
  "linear-event": "Issue",
  "user-agent": "Linear-Webhook",
});
const post = (body: string, signature = linearSignature(body), delivery?: string) =>
  send("linear", { body, headers: headers(signature, delivery) });

const ROTATING = { ...env, LINEAR_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) } as Env;
const postRotating = (body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/linear`, { method: "POST", body, headers: headers(signature) }, ROTATING);

resetAfterEach();

describe("Linear", () => {
  it("the builder signs as Linear does: the SDK's LinearWebhookClient verifies it", () => {
    const body = linearEvent();
    const client = new LinearWebhookClient(DEV_SECRET);
    expect(client.verify(Buffer.from(body), linearSignature(body))).toBe(true);
    expect(client.parseData(Buffer.from(body), linearSignature(body))).toMatchObject({
      type: "Issue",
      action: "create",
    });
  });

  it("accepts a signed event: the body's type as event, Linear-Delivery as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(linearEvent({ type: "Comment" }), undefined, "d-1"));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "linear",
      event: "Comment",
      delivery_id: "d-1",
      data: { type: "Comment", action: "create" },
    });
    expect(message!.headers).toEqual({
      "linear-delivery": "d-1",
      "linear-event": "Issue",
      "user-agent": "Linear-Webhook",
    });
  });

  const signed = (body: string, secret = DEV_SECRET): [string, string] => [body, linearSignature(body, secret)];
  it.each<[string, () => [string, string]]>([
    ["a tampered body", () => [linearEvent({ action: "remove" }), signed(linearEvent())[1]]],
    ["a wrong key", () => signed(linearEvent(), "wrong")],
    ["a stale timestamp", () => signed(linearEvent({}, Date.now() - STALE_SECONDS * 1000))],
    ["a timestamp 61 s old (Linear's window is 60 s)", () => signed(linearEvent({}, Date.now() - 61_000))],
    ["a future timestamp", () => signed(linearEvent({}, Date.now() + STALE_SECONDS * 1000))],
    ["no signature", () => [linearEvent(), ""]],
    ["a malformed signature", () => [linearEvent(), "not-hex"]],
    ["a signed body without webhookTimestamp", () => signed(JSON.stringify({ type: "Issue", action: "create" }))],
    [
      "a signed body whose webhookTimestamp is text",
      () => signed(linearEvent({ webhookTimestamp: String(Date.now()) })),
    ],
    ["a signed body that is not JSON", () => signed("{not json")],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const body = linearEvent();
      return postRotating(body, linearSignature(body, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of a signed body is a duplicate, whatever its (unsigned) Linear-Delivery says", async () => {
    const body = linearEvent();
    await expectDuplicate(post(body, undefined, "d-first"), () => post(body, undefined, "d-replayed"));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("linear")).toContain("`Linear-Signature: <hex HMAC-SHA256 of the body>`");
  });
});
