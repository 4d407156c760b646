import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { twitter } from "../../src/providers/twitter";
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

const xSignature = (message: string, secret = DEV_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(message).digest("base64")}`;

function post(body: string, headers: Record<string, string> = {}) {
  return send("twitter", {
    body,
    headers: { "content-type": "application/json", "x-twitter-webhooks-signature": xSignature(body), ...headers },
  });
}

const TWEET = '{"for_user_id":"2244994945","tweet_create_events":[{"id_str":"1","text":"caf\\u00e9"}]}';
/** A crc_token as X sends them (base64 of a UUID, unpadded). */
const CRC_TOKEN = "M2RkODJkZmMtYjlkYi00NmQ4LTk0MGUtM2JjYzkwM2Q4MjQ0";

resetAfterEach();

describe("X (Twitter)", () => {
  it("the builder's HMAC-SHA256 reproduces RFC 4231 test case 2, base64 after sha256=", () => {
    const rfc4231 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    expect(xSignature("what do ya want for nothing?", "Jefe")).toBe(
      `sha256=${Buffer.from(rfc4231, "hex").toString("base64")}`,
    );
  });

  it("accepts a signed event: event is the *_events key, no delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(TWEET, { "user-agent": "X-Webhooks/1", cookie: "a=b" }));
    const messages = await delivered();
    expect(messages).toMatchObject([
      { id, source: "twitter", event: "tweet_create_events", delivery_id: null, data: JSON.parse(TWEET) },
    ]);
    expect(messages[0]?.headers).toEqual({ "user-agent": "X-Webhooks/1" });
  });

  it("names a user's revocation by user_event", async () => {
    await expectAccepted(
      await post('{"user_event":{"revoke":{"date_time":"2018-05-24T09:48:12+00:00","source":{"user_id":"1"}}}}'),
    );
    expect((await delivered()).map((m) => m.event)).toEqual(["user_event"]);
  });

  it.each([
    ["a tampered body", { "x-twitter-webhooks-signature": xSignature('{"for_user_id":"1"}') }],
    ["a wrong key", { "x-twitter-webhooks-signature": xSignature(TWEET, "wrong") }],
    ["no signature", { "x-twitter-webhooks-signature": "" }],
    [
      "a hex signature",
      { "x-twitter-webhooks-signature": `sha256=${createHmac("sha256", DEV_SECRET).update(TWEET).digest("hex")}` },
    ],
    ["a signature without its prefix", { "x-twitter-webhooks-signature": xSignature(TWEET).slice(7) }],
  ])("refuses %s with the generic 401", async (_, headers) => {
    await expectUnauthorized(await post(TWEET, headers));
    expect(await delivered()).toEqual([]);
  });

  it("accepts any configured secret (rotation); the CRC answers with the newest", async () => {
    const auth = twitter.auth.parse({ kind: "twitter", secret: "S", secrets: ["old", "new"] });
    const check = (secret: string) =>
      verifyDirectly(twitter, auth, TWEET, { "x-twitter-webhooks-signature": xSignature(TWEET, secret) });
    expect((await Promise.all(["old", "new", "older"].map(check))).map((r) => r.ok)).toEqual([true, true, false]);
    const answer = await twitter.challenge?.(auth, {
      method: "GET",
      url: new URL(`${GATEWAY}/ingest/twitter?crc_token=${CRC_TOKEN}`),
      headers: new Headers(),
      nowSeconds: nowSeconds(),
    });
    expect(answer?.body).toBe(JSON.stringify({ response_token: xSignature(CRC_TOKEN, "new") }));
  });

  it("answers the CRC as application/json (GET and HEAD), enqueueing nothing", async () => {
    const res = await send("twitter", { method: "GET", query: `?crc_token=${CRC_TOKEN}&nonce=MTc2OTUxODI5MjkxNA` });
    await expectAnswer(res, 200, "application/json", JSON.stringify({ response_token: xSignature(CRC_TOKEN) }));
    await expectAnswer(
      await send("twitter", { method: "HEAD", query: `?crc_token=${CRC_TOKEN}` }),
      200,
      "application/json",
      "",
    );
    expect(await delivered()).toEqual([]);
  });

  it.each([
    ["no crc_token", ""],
    ["an empty crc_token", "?crc_token="],
    ["a huge crc_token", `?crc_token=${"A".repeat(257)}`],
    [
      "a crc_token that is a JSON body",
      `?crc_token=${encodeURIComponent('{"for_user_id":"1","tweet_create_events":[]}')}`,
    ],
    ["junk", "?crc_token=%00%ff<script>&crc_token=x"],
  ])("does not answer a GET with %s (404)", async (_, query) => {
    const res = await send("twitter", { method: "GET", query });
    expect({ status: res.status, signed: (await res.text()).includes("response_token") }).toEqual({
      status: 404,
      signed: false,
    });
  });

  it("a CRC answer never signs an acceptable body (only JSON objects are accepted)", async () => {
    for (const token of ["123", "true", "null"]) {
      const crc = (await (await send("twitter", { method: "GET", query: `?crc_token=${token}` })).json()) as {
        response_token: string;
      };
      await expectUnauthorized(
        await send("twitter", {
          body: token,
          headers: { "content-type": "application/json", "x-twitter-webhooks-signature": crc.response_token },
        }),
      );
    }
    expect(await delivered()).toEqual([]);
  });

  it("answers a repeat of the same signed body as a duplicate", async () => {
    await expectDuplicate(post(TWEET), () => post(TWEET));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("twitter")).toContain("x-twitter-webhooks-signature");
  });
});
