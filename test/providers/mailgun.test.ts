/**
 * Mailgun: the signature is in the body — `signature: {timestamp, token, signature}` in JSON,
 * top-level fields in forms — the hex HMAC-SHA256 of `timestamp + token`, within 300 s either
 * way. It does not cover the event data, so the token is single use: a replay is a duplicate or
 * a conflict, never a second delivery. The builder is proved by the vector of Mailgun's PHP SDK
 * tests (mailgun-php tests/Api/WebhookTest.php).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { envelope } from "../support/api";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
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

interface Signature {
  timestamp: string;
  token: string;
  signature: string;
}

function mailgunSignature({
  secret = DEV_SECRET,
  at = nowSeconds(),
  token = crypto.randomUUID().replaceAll("-", ""),
} = {}): Signature {
  const timestamp = String(at);
  return {
    timestamp,
    token,
    signature: createHmac("sha256", secret)
      .update(timestamp + token)
      .digest("hex"),
  };
}

const mailgunEvent = (signature: unknown = mailgunSignature(), event = "delivered") =>
  JSON.stringify({
    signature,
    "event-data": { event, id: "CPgfbmQMTCKtHW6uIWtuVe", timestamp: 1521472262.908181, recipient: "alice@example.com" },
  });

const post = (body: string, contentType = "application/json") =>
  send("mailgun", { body, headers: { "content-type": contentType, "user-agent": "mailgun/treq-16.12.0" } });
const form = (fields: Record<string, string>) =>
  post(new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded");

const ROTATING = { ...env, MAILGUN_SIGNING_KEY: JSON.stringify(ROTATING_SECRETS) } as Env;
const postRotating = (body: string) =>
  app.request(
    `${GATEWAY}/ingest/mailgun`,
    { method: "POST", body, headers: { "content-type": "application/json" } },
    ROTATING,
  );

resetAfterEach();

describe("Mailgun", () => {
  it("the builder reproduces the vector of Mailgun's PHP SDK tests", () => {
    const signed = mailgunSignature({
      secret: "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
      at: 1403645220,
      token: "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6",
    });
    expect(signed.signature).toBe("9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33");
  });

  it("accepts a signed JSON event: event-data.event as event, the token as delivery id", async () => {
    const signature = mailgunSignature({ token: "tok-json" });
    const [id] = await expectAccepted(await post(mailgunEvent(signature, "failed")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "mailgun",
      event: "failed",
      delivery_id: "tok-json",
      data: { "event-data": { event: "failed" } },
    });
    expect(message!.headers).toEqual({ "user-agent": "mailgun/treq-16.12.0" });
  });

  it("accepts a signed form post (Routes, legacy webhooks): top-level timestamp, token and signature", async () => {
    const [id] = await expectAccepted(
      await form({ ...mailgunSignature({ token: "tok-form" }), event: "delivered", recipient: "bob@example.com" }),
    );
    expect(await delivered()).toMatchObject([
      { id, event: "delivered", delivery_id: "tok-form", content_type: "application/x-www-form-urlencoded" },
    ]);
  });

  const signed = (changes: Partial<Signature> & { secret?: string; at?: number } = {}) => {
    const { secret, at, ...fields } = changes;
    return mailgunEvent({ ...mailgunSignature({ secret, at }), ...fields });
  };
  it.each<[string, () => Promise<Response>]>([
    ["a wrong key", () => post(signed({ secret: "wrong" }))],
    ["a stale timestamp", () => post(signed({ at: nowSeconds() - STALE_SECONDS }))],
    ["a future timestamp", () => post(signed({ at: nowSeconds() + STALE_SECONDS }))],
    ["a token the signature is not for", () => post(signed({ token: "another-token" }))],
    [
      "a timestamp the signature is not for",
      () => post(mailgunEvent({ ...mailgunSignature(), timestamp: String(nowSeconds() - 1) })),
    ],
    ["no signature object", () => post(JSON.stringify({ "event-data": { event: "delivered" } }))],
    ["a signature object of the wrong shape", () => post(mailgunEvent({ ...mailgunSignature(), signature: 42 }))],
    ["a signature that is not hex", () => post(signed({ signature: "z".repeat(64) }))],
    ["a body that is not JSON", () => post("{not json")],
    ["a JSON array", () => post(`[${mailgunEvent()}]`)],
    ["a form without a signature", () => form({ event: "delivered" })],
    [
      "a form naming the token twice",
      () => post(`${new URLSearchParams({ ...mailgunSignature() })}&token=other`, "application/x-www-form-urlencoded"),
    ],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await request());
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => postRotating(signed({ secret })));
    expect((await delivered()).length).toBe(2);
  });

  it("a replayed token is never a second delivery: the same body is a duplicate, another body a 422 conflict", async () => {
    const signature = mailgunSignature({ token: "tok-replayed" });
    const [id] = await expectAccepted(await post(mailgunEvent(signature, "delivered")));
    const again = await post(mailgunEvent(signature, "delivered"));
    expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
      status: 200,
      result: { ids: [id], duplicate: true },
    });
    const forged = await post(mailgunEvent(signature, "complained"));
    expect({ status: forged.status, body: await forged.json() }).toEqual({
      status: 422,
      body: {
        success: false,
        errors: [{ code: 10410, message: "This delivery id was already used with a different payload" }],
        messages: [],
        result: null,
      },
    });
    expect((await delivered()).map((m) => [m.id, m.event])).toEqual([[id, "delivered"]]);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("mailgun")).toContain(
      "`signature` being the hex HMAC-SHA256 of `timestamp + token`",
    );
  });
});
