import { createHmac } from "node:crypto";
import { verify as octokitVerify } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { meta } from "../../src/providers/meta";
import { GATEWAY } from "../support/api";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectAnswer,
  expectDuplicate,
  expectUnauthorized,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  send,
  verifyDirectly,
} from "../support/providers";

const VERIFY_TOKEN = "local-dev-verify-token";

const metaSignature = (body: string, secret = DEV_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

function post(body: string, headers: Record<string, string> = {}) {
  return send("meta", {
    body,
    headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(body), ...headers },
  });
}

const challengeQuery = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

// Meta escapes non-ASCII as \uXXXX: the signature covers those bytes, never a re-serialization.
const WHATSAPP =
  '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"text":"caf\\u00e9"}}]}]}';

resetAfterEach();

describe("Meta", () => {
  it("the builder signs as Meta does (octokit's verifier for the same header format; the research vector)", async () => {
    expect(await octokitVerify(DEV_SECRET, WHATSAPP, metaSignature(WHATSAPP))).toBe(true);
    expect(metaSignature(WHATSAPP)).toBe("sha256=bed111e0f01c00cbae5bde94bdfbc3ff7864bef5b108808c757cdaa7ee3097c4");
  });

  it("accepts a signed notification: event is object.field, no delivery id, allowlisted headers only", async () => {
    const res = await post(WHATSAPP, {
      "user-agent": "facebookexternalua",
      cookie: "a=b",
      "x-hub-signature": "sha1=00",
    });
    const [id] = await expectAccepted(res);
    const messages = await delivered();
    expect(messages).toMatchObject([
      {
        id,
        source: "meta",
        event: "whatsapp_business_account.messages",
        delivery_id: null,
        data: JSON.parse(WHATSAPP),
      },
    ]);
    expect(messages[0]?.headers).toEqual({ "user-agent": "facebookexternalua" });
  });

  it("names Messenger notifications (no changes) by their object", async () => {
    await expectAccepted(
      await post('{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"message":{"mid":"m1"}}]}]}'),
    );
    expect((await delivered()).map((m) => m.event)).toEqual(["page"]);
  });

  it.each([
    ["a tampered body", { "x-hub-signature-256": metaSignature('{"object":"page"}') }],
    ["a wrong key", { "x-hub-signature-256": metaSignature(WHATSAPP, "wrong") }],
    ["no signature", { "x-hub-signature-256": "" }],
    ["only the legacy SHA-1 header", { "x-hub-signature-256": "", "x-hub-signature": "sha1=0123" }],
    ["a malformed signature", { "x-hub-signature-256": "sha256=zz" }],
    ["a signature without its prefix", { "x-hub-signature-256": metaSignature(WHATSAPP).slice(7) }],
  ])("refuses %s with the generic 401", async (_, headers) => {
    await expectUnauthorized(await post(WHATSAPP, headers));
    expect(await delivered()).toEqual([]);
  });

  it("accepts any configured app secret and verify token (rotation)", async () => {
    const auth = meta.auth.parse({
      kind: "meta",
      secret: "S",
      secrets: ["old", "new"],
      verify_token: "V",
      verify_tokens: ["old-token", "new-token"],
    });
    const check = (secret: string) =>
      verifyDirectly(meta, auth, WHATSAPP, { "x-hub-signature-256": metaSignature(WHATSAPP, secret) });
    expect((await Promise.all(["old", "new", "older"].map(check))).map((r) => r.ok)).toEqual([true, true, false]);
    const answer = (token: string) =>
      meta.challenge?.(auth, {
        method: "GET",
        url: new URL(
          `${GATEWAY}/ingest/meta${challengeQuery({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "7" })}`,
        ),
        headers: new Headers(),
        nowSeconds: nowSeconds(),
      });
    expect(await Promise.all(["old-token", "new-token", "older-token"].map(answer))).toEqual([
      { status: 200, contentType: "text/plain; charset=utf-8", body: "7" },
      { status: 200, contentType: "text/plain; charset=utf-8", body: "7" },
      undefined,
    ]);
  });

  it("answers the subscription challenge as text/plain (GET and HEAD), enqueueing nothing", async () => {
    const query = challengeQuery({
      "hub.mode": "subscribe",
      "hub.verify_token": VERIFY_TOKEN,
      "hub.challenge": "1158201444",
    });
    const res = await send("meta", { method: "GET", query });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await expectAnswer(res, 200, "text/plain; charset=utf-8", "1158201444");
    await expectAnswer(await send("meta", { method: "HEAD", query }), 200, "text/plain; charset=utf-8", "");
    expect(await delivered()).toEqual([]);
  });

  it.each([
    ["a wrong verify token", { "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "ECHO-ME" }],
    [
      "the app secret as verify token",
      { "hub.mode": "subscribe", "hub.verify_token": DEV_SECRET, "hub.challenge": "ECHO-ME" },
    ],
    ["no verify token", { "hub.mode": "subscribe", "hub.challenge": "ECHO-ME" }],
    ["no mode", { "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "ECHO-ME" }],
    ["another mode", { "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "ECHO-ME" }],
    [
      "a huge challenge",
      { "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": `ECHO-ME${"9".repeat(300)}` },
    ],
    ["an empty challenge", { "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "" }],
    ["junk", { "hub.mode[]": "subscribe", "hub.verify_token%00": VERIFY_TOKEN, "ECHO-ME": "<script>" }],
  ])("does not answer a challenge with %s (404, nothing echoed)", async (_, params) => {
    const res = await send("meta", { method: "GET", query: challengeQuery(params) });
    expect({ status: res.status, echoed: (await res.text()).includes("ECHO-ME") }).toEqual({
      status: 404,
      echoed: false,
    });
  });

  it("does not echo a challenge on POST: it is a delivery, and unsigned", async () => {
    const query = challengeQuery({
      "hub.mode": "subscribe",
      "hub.verify_token": VERIFY_TOKEN,
      "hub.challenge": "ECHO-ME",
    });
    await expectUnauthorized(
      await send("meta", { query, headers: { "content-type": "application/json" }, body: "{}" }),
    );
  });

  it("answers a repeat of the same signed body as a duplicate", async () => {
    await expectDuplicate(post(WHATSAPP), () => post(WHATSAPP));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("meta")).toContain("X-Hub-Signature-256");
  });
});
