/**
 * Calendly: `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, within
 * 180 s either way; the event from the signed body, no delivery id (repeats are recognised by the
 * signed body). Calendly publishes no verifier and no test vector: the builder below is its
 * sample code's construction, checked against the research notes' vector (node:crypto and
 * WebCrypto agreed on it).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
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

function calendlySignature(
  body: string,
  { secret = DEV_SECRET, at = nowSeconds() }: { secret?: string; at?: number } = {},
): string {
  return `t=${at},v1=${createHmac("sha256", secret).update(`${at}.${body}`, "utf8").digest("hex")}`;
}

const calendlyEvent = (event = "invitee.created") =>
  JSON.stringify({
    created_at: new Date().toISOString(),
    created_by: "https://api.calendly.com/users/AAA",
    event,
    payload: {
      email: "a@example.com",
      name: "Zoë",
      uri: `https://api.calendly.com/scheduled_events/${crypto.randomUUID()}/invitees/1`,
    },
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "calendly-webhook-signature": signature,
  "user-agent": "Calendly",
  cookie: "a=b",
});
const post = (body: string, signature = calendlySignature(body)) =>
  send("calendly", { body, headers: headers(signature) });
const postWith = (vars: Record<string, string>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/calendly`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { CALENDLY_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) };

resetAfterEach();

describe("Calendly", () => {
  it("the builder signs as Calendly's sample code does (the research notes' vector)", () => {
    const body =
      '{"created_at":"2025-01-01T00:00:00.000000Z","created_by":"https://api.calendly.com/users/AAA","event":"invitee.created","payload":{"email":"a@example.com"}}';
    expect(calendlySignature(body, { at: 1735689600 })).toBe(
      "t=1735689600,v1=f774307d9c783e3f63c6612bc362ccde8cd83707d30c9fffc8b2fb3c6a8a4419",
    );
  });

  it("accepts a signed event: the body's event, no delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(calendlyEvent("invitee.canceled")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "calendly", event: "invitee.canceled", delivery_id: null });
    expect(message!.headers).toEqual({ "user-agent": "Calendly" });
  });

  const body = calendlyEvent();
  it.each<[string, () => [string, string]]>([
    ["a tampered body", () => [`${body} `, calendlySignature(body)]],
    ["a wrong key", () => [body, calendlySignature(body, { secret: "wrong" })]],
    ["a stale timestamp", () => [body, calendlySignature(body, { at: nowSeconds() - STALE_SECONDS })]],
    [
      "a timestamp 181 s old (Calendly's window is 3 minutes)",
      () => [body, calendlySignature(body, { at: nowSeconds() - 181 })],
    ],
    ["a future timestamp", () => [body, calendlySignature(body, { at: nowSeconds() + STALE_SECONDS })]],
    ["no signature", () => [body, ""]],
    ["no v1", () => [body, `t=${nowSeconds()}`]],
    ["no t", () => [body, calendlySignature(body).replace(/^t=\d+,/, "")]],
    ["a malformed header", () => [body, `t=now,v1=${"z".repeat(64)}`]],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const rotated = calendlyEvent();
      return postWith(ROTATING, rotated, calendlySignature(rotated, { secret }));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a retry (the same body signed again, with another t) is answered as a duplicate and enqueued once", async () => {
    const repeated = calendlyEvent();
    await expectDuplicate(post(repeated, calendlySignature(repeated, { at: nowSeconds() - 60 })), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("calendly")).toContain(
      "`Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`",
    );
  });
});
