import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { twitch } from "../../src/providers/twitch";
import { envelope } from "../support/api";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectAnswer,
  expectUnauthorized,
  ingestDescription,
  resetAfterEach,
  send,
  verifyDirectly,
} from "../support/providers";

const twitchSignature = (id: string, timestamp: string, body: string, secret = DEV_SECRET) =>
  `sha256=${createHmac("sha256", secret)
    .update(id + timestamp + body)
    .digest("hex")}`;
/** Twitch's timestamps: RFC 3339 with nanoseconds. */
const rfc3339 = (offsetSeconds = 0) =>
  new Date(Date.now() + offsetSeconds * 1000).toISOString().replace("Z", "123456Z");
/** Past the 600 s tolerance, whichever way the gateway's clock ticks meanwhile. */
const STALE_SECONDS = 610;

interface Signed {
  /** The body the signature covers (default: the one sent). */
  signedBody?: string;
  id?: string;
  timestamp?: string;
  secret?: string;
  type?: string;
  headers?: Record<string, string>;
}

function post(
  body: string,
  {
    signedBody = body,
    id = crypto.randomUUID(),
    timestamp = rfc3339(),
    secret = DEV_SECRET,
    type = "notification",
    headers = {},
  }: Signed = {},
) {
  return send("twitch", {
    body,
    headers: {
      "content-type": "application/json",
      "twitch-eventsub-message-id": id,
      "twitch-eventsub-message-timestamp": timestamp,
      "twitch-eventsub-message-signature": twitchSignature(id, timestamp, signedBody, secret),
      "twitch-eventsub-message-type": type,
      "twitch-eventsub-subscription-type": "channel.follow",
      ...headers,
    },
  });
}

const SUBSCRIPTION = {
  id: "f1c2a387",
  status: "enabled",
  type: "channel.follow",
  version: "2",
  condition: { broadcaster_user_id: "1337" },
};
const NOTIFICATION = JSON.stringify({ subscription: SUBSCRIPTION, event: { user_id: "1234", user_name: "café" } });
const REVOCATION = JSON.stringify({ subscription: { ...SUBSCRIPTION, status: "authorization_revoked" } });
const VERIFICATION = JSON.stringify({
  challenge: "pogchamp-kappa-360noscope-vohiyo",
  subscription: { ...SUBSCRIPTION, status: "webhook_callback_verification_pending" },
});

resetAfterEach();

describe("Twitch EventSub", () => {
  it("the builder reproduces twitch-rs/twitch_api's verify_request vector", () => {
    const body =
      '{"subscription":{"id":"ae2ff348-e102-16be-a3eb-6830c1bf38d2","status":"enabled","type":"channel.follow","version":"1","condition":{"broadcaster_user_id":"44429626"},"transport":{"method":"webhook","callback":"null"},"created_at":"2021-02-19T23:47:00.7621315Z"},"event":{"user_id":"28408015","user_login":"testFromUser","user_name":"testFromUser","broadcaster_user_id":"44429626","broadcaster_user_login":"44429626","broadcaster_user_name":"testBroadcaster"}}';
    expect(
      twitchSignature("ae2ff348-e102-16be-a3eb-6830c1bf38d2", "2021-02-19T23:47:00.8091512Z", body, "secretabcd"),
    ).toBe("sha256=d10f5bd9474b7ac7bd7105eb79c2d52768b4d0cd2a135982c3bf5a1d59a78823");
  });

  it("accepts a signed notification: event subscription.type, the message id as delivery id, allowlisted headers only", async () => {
    const timestamp = rfc3339();
    const [id] = await expectAccepted(
      await post(NOTIFICATION, {
        id: "msg-1",
        timestamp,
        headers: { "twitch-eventsub-message-retry": "0", cookie: "a=b" },
      }),
    );
    const messages = await delivered();
    expect(messages).toMatchObject([
      { id, source: "twitch", event: "channel.follow", delivery_id: "msg-1", data: JSON.parse(NOTIFICATION) },
    ]);
    expect(messages[0]?.headers).toEqual({
      "twitch-eventsub-message-id": "msg-1",
      "twitch-eventsub-message-retry": "0",
      "twitch-eventsub-message-type": "notification",
      "twitch-eventsub-message-timestamp": timestamp,
      "twitch-eventsub-subscription-type": "channel.follow",
    });
  });

  it("enqueues a revocation as revocation:<type>, whatever the unsigned type header says", async () => {
    await expectAccepted(await post(REVOCATION, { type: "revocation" }));
    await expectAccepted(await post(REVOCATION, { type: "notification" }));
    await expectAccepted(await post(NOTIFICATION, { type: "webhook_callback_verification" }));
    expect((await delivered()).map((m) => m.event)).toEqual([
      "revocation:channel.follow",
      "revocation:channel.follow",
      "channel.follow",
    ]);
  });

  it.each<[string, () => Signed & { body?: string }]>([
    ["a tampered body", () => ({ signedBody: NOTIFICATION.replace("1234", "4321") })],
    ["a wrong key", () => ({ secret: "wrong" })],
    ["a stale timestamp", () => ({ timestamp: rfc3339(-STALE_SECONDS) })],
    ["a future timestamp", () => ({ timestamp: rfc3339(STALE_SECONDS) })],
    ["a unix timestamp", () => ({ timestamp: String(Math.floor(Date.now() / 1000)) })],
    // The same signed bytes cut elsewhere: the timestamp's "Z" moved into the body (Date.parse alone accepts the rest).
    [
      "a timestamp re-cut into the body",
      () => {
        const timestamp = rfc3339();
        return {
          body: `Z${NOTIFICATION}`,
          signedBody: NOTIFICATION,
          timestamp,
          headers: { "twitch-eventsub-message-timestamp": timestamp.slice(0, -1) },
        };
      },
    ],
    ["no signature", () => ({ headers: { "twitch-eventsub-message-signature": "" } })],
    ["no message id", () => ({ id: "", headers: { "twitch-eventsub-message-id": "" } })],
    ["no timestamp", () => ({ headers: { "twitch-eventsub-message-timestamp": "" } })],
    [
      "a signature without its prefix",
      () => ({
        headers: {
          "twitch-eventsub-message-signature": "d10f5bd9474b7ac7bd7105eb79c2d52768b4d0cd2a135982c3bf5a1d59a78823",
        },
      }),
    ],
  ])("refuses %s with the generic 401", async (_, make) => {
    const { body = NOTIFICATION, ...signed } = make();
    await expectUnauthorized(await post(body, signed));
    expect(await delivered()).toEqual([]);
  });

  it("accepts any configured secret (rotation)", async () => {
    const auth = twitch.auth.parse({ kind: "twitch", secret: "S", secrets: ["old", "new"] });
    const timestamp = rfc3339();
    const check = (secret: string) =>
      verifyDirectly(twitch, auth, NOTIFICATION, {
        "twitch-eventsub-message-id": "m",
        "twitch-eventsub-message-timestamp": timestamp,
        "twitch-eventsub-message-signature": twitchSignature("m", timestamp, NOTIFICATION, secret),
      });
    expect((await Promise.all(["old", "new", "older"].map(check))).map((r) => r.ok)).toEqual([true, true, false]);
  });

  it("answers a signed webhook_callback_verification with the raw challenge as text/plain, enqueueing nothing", async () => {
    await expectAnswer(
      await post(VERIFICATION, { type: "webhook_callback_verification" }),
      200,
      "text/plain; charset=utf-8",
      "pogchamp-kappa-360noscope-vohiyo",
    );
    expect(await delivered()).toEqual([]);
  });

  it("refuses a webhook_callback_verification with a bad signature (401, nothing answered)", async () => {
    const res = await post(VERIFICATION, { type: "webhook_callback_verification", secret: "wrong" });
    await expectUnauthorized(res);
  });

  it("answers no GET (404)", async () => {
    const res = await send("twitch", { method: "GET", query: "?challenge=ECHO-ME" });
    expect({ status: res.status, echoed: (await res.text()).includes("ECHO-ME") }).toEqual({
      status: 404,
      echoed: false,
    });
  });

  it("answers a resend (same message id, new timestamp and signature) as a duplicate", async () => {
    const [id] = await expectAccepted(await post(NOTIFICATION, { id: "msg-resent" }));
    const again = await post(NOTIFICATION, {
      id: "msg-resent",
      timestamp: rfc3339(1),
      headers: { "twitch-eventsub-message-retry": "1" },
    });
    expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
      status: 200,
      result: { ids: [id], duplicate: true },
    });
    expect(await delivered()).toHaveLength(1);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("twitch")).toContain("Twitch-Eventsub-Message-Signature");
  });
});
