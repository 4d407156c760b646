/**
 * Sentry integration webhooks: `Sentry-Hook-Signature: <hex HMAC-SHA256 of the body as sent>`.
 * Sentry sends compact JSON with non-ASCII as \u escapes (simplejson's ensure_ascii): the body
 * must be verified as received, not re-serialized as the docs' snippet does. Resource, timestamp
 * and Request-ID are unsigned headers; repeats are recognised by the signed body. Sentry
 * publishes no verifier and no test vector: the builder below is its server's `build_signature`,
 * checked against the research notes' vector.
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
  ROTATING_SECRETS,
  resetAfterEach,
  send,
} from "../support/providers";

const sentrySignature = (body: string, secret = DEV_SECRET) =>
  createHmac("sha256", secret).update(body, "utf8").digest("hex");

/** The body as Sentry's json.dumps writes it: compact, every non-ASCII character as a \u escape. */
const sentryJson = (value: unknown) =>
  JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const sentryEvent = (action = "created") =>
  sentryJson({
    action,
    installation: { uuid: crypto.randomUUID() },
    data: { issue: { title: "Café <b> & ☃" } },
    actor: { type: "application", id: "sentry", name: "Sentry" },
  });

const headers = (signature: string, request = crypto.randomUUID()) => ({
  "content-type": "application/json",
  "sentry-hook-signature": signature,
  "sentry-hook-resource": "issue",
  "sentry-hook-timestamp": String(Math.floor(Date.now() / 1000)),
  "request-id": request,
  "user-agent": "Sentry",
  cookie: "a=b",
});
const post = (body: string, signature = sentrySignature(body), request?: string) =>
  send("sentry", { body, headers: headers(signature, request) });
const postWith = (vars: Record<string, string>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/sentry`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { SENTRY_CLIENT_SECRET: JSON.stringify(ROTATING_SECRETS) };

resetAfterEach();

describe("Sentry", () => {
  it("the builder signs the body as Sentry sends it (the research notes' vector), which re-serializing would not match", () => {
    const wire = sentryJson({
      action: "created",
      installation: { uuid: "i-1" },
      data: { issue: { title: "Café <b> & ☃" } },
      actor: { type: "application", id: "sentry", name: "Sentry" },
    });
    expect(wire).toContain("Caf\\u00e9 <b> & \\u2603");
    expect(sentrySignature(wire)).toBe("9a98bf12965adc0d54bce3273718610e56f4d1c5601c12dc806c5977622d9ca2");
    expect(sentrySignature(JSON.stringify(JSON.parse(wire)))).not.toBe(sentrySignature(wire));
  });

  it("accepts a signed event: resource and action as event, Request-ID as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(sentryEvent("resolved"), undefined, "req-1"));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "sentry",
      event: "issue.resolved",
      delivery_id: "req-1",
      data: { data: { issue: { title: "Café <b> & ☃" } } },
    });
    expect(message!.headers).toEqual({
      "sentry-hook-resource": "issue",
      "sentry-hook-timestamp": expect.stringMatching(/^\d+$/),
      "request-id": "req-1",
      "user-agent": "Sentry",
    });
  });

  const body = sentryEvent();
  it.each<[string, string, string]>([
    ["a tampered body", `${body} `, sentrySignature(body)],
    ["a re-serialized body (the docs' snippet)", JSON.stringify(JSON.parse(body)), sentrySignature(body)],
    ["a wrong key", body, sentrySignature(body, "wrong")],
    ["no signature", body, ""],
    ["a malformed signature", body, "z".repeat(64)],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const rotated = sentryEvent();
      return postWith(ROTATING, rotated, sentrySignature(rotated, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of a signed body is a duplicate, whatever its (unsigned) Request-ID says", async () => {
    const repeated = sentryEvent();
    await expectDuplicate(post(repeated, undefined, "req-first"), () => post(repeated, undefined, "req-replayed"));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("sentry")).toContain(
      "`Sentry-Hook-Signature: <hex HMAC-SHA256 of the body as sent>`",
    );
  });
});
