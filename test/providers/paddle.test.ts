/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256 of {ts}:{body}>`, within 5 s
 * either way. The builder below is proved by Paddle's own SDK (its Webhooks class, in workerd).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { Environment, Paddle } from "@paddle/paddle-node-sdk";
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
  nowSeconds,
  ROTATING_SECRETS,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";

/** Paddle's header: one `ts`, then one `h1` per secret (several while a secret is rotated). */
function paddleSignature(
  body: string,
  { secrets = [DEV_SECRET], at = nowSeconds() }: { secrets?: string[]; at?: number } = {},
): string {
  return [
    `ts=${at}`,
    ...secrets.map((secret) => `h1=${createHmac("sha256", secret).update(`${at}:${body}`).digest("hex")}`),
  ].join(";");
}

const paddleEvent = (id = `evt_${crypto.randomUUID()}`, type = "transaction.completed") =>
  JSON.stringify({
    event_id: id,
    event_type: type,
    occurred_at: new Date().toISOString(),
    notification_id: "ntf_01",
    data: { id: "txn_01" },
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "paddle-signature": signature,
  "user-agent": "Paddle",
  cookie: "a=b",
});
const post = (body: string, signature = paddleSignature(body)) => send("paddle", { body, headers: headers(signature) });

/** The same gateway with other secrets or options for the paddle source (config is read from the bindings). */
const postWith = (vars: Record<string, unknown>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/paddle`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { PADDLE_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) };
/** The test bindings' sources, plus an override of this one (a source's `auth` is replaced whole). */
const TOLERANT = {
  SOURCES: {
    ...(env.SOURCES as object),
    paddle: { auth: { kind: "paddle", secret: "PADDLE_WEBHOOK_SECRET", tolerance_seconds: 60 } },
  },
};

resetAfterEach();

describe("Paddle", () => {
  it("the builder signs as Paddle does: the SDK's Webhooks verify and unmarshal it", async () => {
    const body = paddleEvent("evt_01sdk", "example.unknown");
    const webhooks = new Paddle("unused-api-key", { environment: Environment.sandbox }).webhooks;
    expect(await webhooks.isSignatureValid(body, DEV_SECRET, paddleSignature(body))).toBe(true);
    const event = await webhooks.unmarshal(body, DEV_SECRET, paddleSignature(body));
    expect([event.eventType, event.eventId]).toEqual(["example.unknown", "evt_01sdk"]);
  });

  it("accepts a signed event: event type and id from the body, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(paddleEvent("evt_01", "subscription.created")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "paddle", event: "subscription.created", delivery_id: "evt_01" });
    expect(message!.headers).toEqual({ "user-agent": "Paddle" });
  });

  const body = paddleEvent("evt_refused");
  // Signed when the case runs: Paddle's window is only 5 s.
  it.each<[string, () => [string, string]]>([
    ["a tampered body", () => [`${body} `, paddleSignature(body)]],
    ["a wrong key", () => [body, paddleSignature(body, { secrets: ["wrong"] })]],
    ["a stale timestamp", () => [body, paddleSignature(body, { at: nowSeconds() - STALE_SECONDS })]],
    ["a timestamp 6 s old (Paddle's tolerance is 5 s)", () => [body, paddleSignature(body, { at: nowSeconds() - 6 })]],
    [
      "a future timestamp (Paddle's SDK would accept it)",
      () => [body, paddleSignature(body, { at: nowSeconds() + STALE_SECONDS })],
    ],
    ["no signature", () => [body, ""]],
    ["no h1", () => [body, `ts=${nowSeconds()}`]],
    ["no ts", () => [body, paddleSignature(body).replace(/^ts=\d+;/, "")]],
    ["a malformed header", () => [body, `ts=now;h1=${"z".repeat(64)}`]],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("any h1 may match (Paddle's SDK checks only the last), and a rotated secret list accepts both secrets", async () => {
    const first = paddleEvent();
    await expectAccepted(await post(first, paddleSignature(first, { secrets: [DEV_SECRET, "retired-secret"] })));
    await expectRotation((secret) => {
      const rotated = paddleEvent();
      return postWith(ROTATING, rotated, paddleSignature(rotated, { secrets: [secret] }));
    });
    expect((await delivered()).length).toBe(3);
  });

  it("tolerance_seconds widens the window", async () => {
    const late = paddleEvent();
    await expectAccepted(await postWith(TOLERANT, late, paddleSignature(late, { at: nowSeconds() - 30 })));
  });

  it("a repeat of an event id is answered as a duplicate and enqueued once", async () => {
    const repeated = paddleEvent("evt_dup");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("paddle")).toContain("`Paddle-Signature: ts=<unix>;h1=");
  });
});
