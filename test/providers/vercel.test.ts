/**
 * Vercel: `x-vercel-signature: <hex HMAC-SHA1 of the body>`, no timestamp; event id and type from
 * the signed body. Vercel publishes no verifier and no test vector: the builder below is checked
 * against the vector of the research notes (node:crypto and WebCrypto agreed on it).
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

const vercelSignature = (body: string, secret = DEV_SECRET) => createHmac("sha1", secret).update(body).digest("hex");

const vercelEvent = (id = `evt_${crypto.randomUUID()}`, type = "deployment.succeeded") =>
  JSON.stringify({
    id,
    type,
    createdAt: Date.now(),
    payload: { deployment: { id: "dpl_1", name: "é ✓" } },
    region: "iad1",
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "x-vercel-signature": signature,
  "user-agent": "Vercel",
  cookie: "a=b",
});
const post = (body: string, signature = vercelSignature(body)) => send("vercel", { body, headers: headers(signature) });
const postWith = (vars: Record<string, string>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/vercel`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { VERCEL_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) };

resetAfterEach();

describe("Vercel", () => {
  it("the builder signs as Vercel does (the research notes' vector)", () => {
    const body =
      '{"id":"evt_123","type":"deployment.succeeded","createdAt":1735689600000,"payload":{},"region":"iad1"}';
    expect(vercelSignature(body)).toBe("62d076f062844412c3b4db92953741f1b908d1dc");
  });

  it("accepts a signed event: type and id from the body, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(vercelEvent("evt_1", "project.created")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "vercel", event: "project.created", delivery_id: "evt_1" });
    expect(message!.headers).toEqual({ "user-agent": "Vercel" });
  });

  const body = vercelEvent("evt_refused");
  it.each<[string, string, string]>([
    ["a tampered body", `${body} `, vercelSignature(body)],
    ["a wrong key", body, vercelSignature(body, "wrong")],
    ["no signature", body, ""],
    ["a malformed signature", body, "z".repeat(40)],
    ["a SHA-256 signature", body, createHmac("sha256", DEV_SECRET).update(body).digest("hex")],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const rotated = vercelEvent();
      return postWith(ROTATING, rotated, vercelSignature(rotated, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of an event id is answered as a duplicate and enqueued once", async () => {
    const repeated = vercelEvent("evt_dup");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("vercel")).toContain("`x-vercel-signature: <hex HMAC-SHA1 of the body>`");
  });
});
