/**
 * Discord interactions and webhook events: `X-Signature-Ed25519`, Ed25519 over
 * `{X-Signature-Timestamp}{body}` with the application's public key, within 300 s either way
 * (the gateway's choice). The builder (test/support/sign/discord.ts) is proved by RFC 8032's
 * published vector and by Discord's own `verifyKey` (discord-interactions, in workerd).
 */
import { env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { verifyKey } from "discord-interactions";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { discord } from "../../src/providers/discord";
import {
  delivered,
  expectAccepted,
  expectAnswer,
  expectDuplicate,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";
import {
  type DiscordSigning,
  discordHeaders,
  ed25519Key,
  ed25519Sign,
  RFC8032_KEY,
  RFC8032_TEST1,
} from "../support/sign/discord";

const OTHER_KEY = ed25519Key("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const publicHex = (key = OTHER_KEY) =>
  Buffer.from(createPublicKey(key).export({ format: "jwk" }).x!, "base64url").toString("hex");

const interaction = (type = 2, id = `${BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))}`) =>
  JSON.stringify({ id, type, application_id: "1", token: "tok", version: 1, data: { name: "ping" } });
const webhookEvent = (type = "APPLICATION_AUTHORIZED") =>
  JSON.stringify({
    version: 1,
    application_id: "1",
    type: 1,
    event: { type, timestamp: new Date().toISOString(), data: { user: { id: "2" } } },
  });
const INTERACTION_PING = '{"id":"3","type":1,"application_id":"1","token":"tok","version":1}';
const WEBHOOK_PING = '{"version":1,"application_id":"1","type":0}';

const post = (body: string, signing: DiscordSigning = {}, extra: Record<string, string> = {}) =>
  send("discord", {
    body,
    headers: { ...discordHeaders(body, signing), "user-agent": "Discord-Interactions/1.0", cookie: "a=b", ...extra },
  });
/** The same gateway with other bindings (config is read from them). */
const postWith = (vars: Record<string, string>, body: string, signing: DiscordSigning = {}) =>
  app.request(`${GATEWAY}/ingest/discord`, { method: "POST", body, headers: discordHeaders(body, signing) }, {
    ...env,
    ...vars,
  } as Env);

resetAfterEach();

describe("Discord", () => {
  it("the builder signs as Discord does: RFC 8032's vector, and discord-interactions' verifyKey accepts it", async () => {
    expect(ed25519Sign(RFC8032_KEY, "").toString("hex")).toBe(RFC8032_TEST1.emptyMessageSignature);
    expect(publicHex(RFC8032_KEY)).toBe(RFC8032_TEST1.publicKey);
    const body = interaction();
    const headers = discordHeaders(body);
    const [signature, timestamp] = [headers["x-signature-ed25519"]!, headers["x-signature-timestamp"]!];
    expect(await verifyKey(body, signature, timestamp, RFC8032_TEST1.publicKey)).toBe(true);
    expect(await verifyKey(`${body} `, signature, timestamp, RFC8032_TEST1.publicKey)).toBe(false);
  });

  it("accepts an interaction: interaction:<type>, its signed id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(interaction(2, "1100000000000000001")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "discord",
      event: "interaction:2",
      delivery_id: "1100000000000000001",
    });
    expect(Object.keys(message!.headers).sort()).toEqual(["user-agent", "x-signature-timestamp"]);
  });

  it("accepts a webhook event, named by event.type (webhook events carry no id)", async () => {
    await expectAccepted(await post(webhookEvent("ENTITLEMENT_CREATE")));
    const [message] = await delivered();
    expect(message).toMatchObject({ event: "ENTITLEMENT_CREATE", delivery_id: null });
  });

  it.each<[string, string, number, string | null, string]>([
    ["an interaction PING with a PONG", INTERACTION_PING, 200, "application/json", '{"type":1}'],
    ["a webhook-event PING with 204 and no body", WEBHOOK_PING, 204, null, ""],
  ])("answers %s, after verification, enqueueing nothing", async (_case, body, status, type, answer) => {
    await expectAnswer(await post(body), status, type, answer);
    expect(await delivered()).toEqual([]);
  });

  const body = interaction();
  it.each<[string, () => Promise<Response>]>([
    [
      "a tampered body",
      () => post(body, {}, { "x-signature-ed25519": discordHeaders(`${body} `)["x-signature-ed25519"]! }),
    ],
    ["a wrong key", () => post(body, { key: OTHER_KEY })],
    ["a stale timestamp", () => post(body, { at: nowSeconds() - STALE_SECONDS })],
    ["a future timestamp", () => post(body, { at: nowSeconds() + STALE_SECONDS })],
    [
      "another timestamp than the signed one",
      () => post(body, {}, { "x-signature-timestamp": String(nowSeconds() - 1) }),
    ],
    [
      "no signature",
      () =>
        send("discord", {
          body,
          headers: { "content-type": "application/json", "x-signature-timestamp": String(nowSeconds()) },
        }),
    ],
    [
      "no timestamp",
      () => send("discord", { body, headers: { ...discordHeaders(body), "x-signature-timestamp": "" } }),
    ],
    ["a malformed signature", () => post(body, {}, { "x-signature-ed25519": "zz".repeat(64) })],
    [
      "a truncated signature",
      () => post(body, {}, { "x-signature-ed25519": discordHeaders(body)["x-signature-ed25519"]!.slice(2) }),
    ],
    ["an interaction PING signed by another key (Discord's probe)", () => post(INTERACTION_PING, { key: OTHER_KEY })],
    [
      "a webhook-event PING with a tampered signature (Discord's probe)",
      () => post(WEBHOOK_PING, {}, { "x-signature-ed25519": "00".repeat(64) }),
    ],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await request());
    expect(await delivered()).toEqual([]);
  });

  it("a rotated key list accepts both keys", async () => {
    const rotating = { DISCORD_PUBLIC_KEY: JSON.stringify([publicHex(), RFC8032_TEST1.publicKey]) };
    await expectAccepted(await postWith(rotating, interaction(), { key: OTHER_KEY }));
    await expectAccepted(await postWith(rotating, interaction()));
    await expectUnauthorized(await postWith(rotating, interaction(), { key: ed25519Key("11".repeat(32)) }));
    expect((await delivered()).length).toBe(2);
  });

  it.each([
    ["an interaction", interaction()],
    ["a webhook event re-signed later (Discord retries events)", webhookEvent()],
  ])("a repeat of %s is answered as a duplicate and enqueued once", async (_case, repeated) => {
    await expectDuplicate(post(repeated, { at: nowSeconds() - 5 }), () => post(repeated));
  });

  it("refuses a configured key that is not a public key", () => {
    const parsed = discord.auth.safeParse({ kind: "discord", secret: "DISCORD_PUBLIC_KEY", secrets: ["not-a-key"] });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      "DISCORD_PUBLIC_KEY is not a Discord public key (64 hex characters)",
    ]);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("discord")).toContain("`X-Signature-Ed25519:");
  });
});
