/**
 * The verifiers against the providers' published test vectors (cited in each provider's descriptor),
 * with the clock set to the vector's time, plus the refusal reasons each check reports.
 */
import { describe, expect, it } from "vitest";
import type { Result } from "../src/lib/result";
import { github } from "../src/providers/github";
import type { VerifyInput } from "../src/providers/provider";
import { slack } from "../src/providers/slack";
import { standard } from "../src/providers/standard";
import { twilio } from "../src/providers/twilio";

const input = (
  body: string,
  headers: Record<string, string>,
  nowSeconds: number,
  url = "https://example.com/",
): VerifyInput => ({
  body: new TextEncoder().encode(body),
  headers: new Headers(headers),
  method: "POST",
  url: new URL(url),
  nowSeconds,
});

/** A verifier's outcome as the log sees it: ok, or the reason it refused. */
async function outcome(pending: Promise<Result<unknown>>) {
  const result = await pending;
  return result.ok
    ? { ok: true }
    : { ok: false, reason: result.reason === "unauthorized" ? result.why : result.reason };
}
const context = { keys: [], queue: "webhooks" };
const verifyGitHub = (secrets: string[], i: VerifyInput) =>
  outcome(github.verify({ kind: "github", secret: "S", secrets }, i, context));
const verifySlack = (secrets: string[], i: VerifyInput) =>
  outcome(slack.verify({ kind: "slack", secret: "S", secrets }, i, context));
const verifyStandard = (secrets: string[], i: VerifyInput) =>
  outcome(standard.verify({ kind: "standard", secret: "S", secrets }, i, context));
const verifyTwilio = (secrets: string[], i: VerifyInput) =>
  outcome(
    twilio.verify({ kind: "twilio", secret: "S", secrets, public_base_url: "https://unused.example" }, i, context),
  );

describe("GitHub documentation vector", () => {
  const secret = "It's a Secret to Everybody";
  const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  it("accepts the published signature and refuses a changed body or secret", async () => {
    expect(await verifyGitHub([secret], input("Hello, World!", { "x-hub-signature-256": signature }, 0))).toEqual({
      ok: true,
    });
    expect(await verifyGitHub([secret], input("Hello, World?", { "x-hub-signature-256": signature }, 0))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
    expect(await verifyGitHub(["other"], input("Hello, World!", { "x-hub-signature-256": signature }, 0))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
    expect(
      await verifyGitHub(["other", secret], input("Hello, World!", { "x-hub-signature-256": signature }, 0)),
    ).toEqual({ ok: true });
    expect(await verifyGitHub([secret], input("Hello, World!", { "x-hub-signature-256": "sha256=zz" }, 0))).toEqual({
      ok: false,
      reason: "malformed_signature",
    });
    expect(await verifyGitHub([secret], input("Hello, World!", {}, 0))).toEqual({
      ok: false,
      reason: "missing_signature",
    });
  });
});

describe("Slack documentation vector", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const ts = 1531420618;
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const headers = {
    "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    "x-slack-request-timestamp": String(ts),
  };
  it("accepts it at its time and refuses it 301 s before or after", async () => {
    expect(await verifySlack([secret], input(body, headers, ts))).toEqual({ ok: true });
    expect(await verifySlack([secret], input(body, headers, ts + 301))).toEqual({
      ok: false,
      reason: "timestamp_too_old",
    });
    expect(await verifySlack([secret], input(body, headers, ts - 301))).toEqual({
      ok: false,
      reason: "timestamp_in_future",
    });
    expect(await verifySlack([secret], input(`${body}x`, headers, ts))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
  });
});

describe("Twilio documentation vector", () => {
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  };
  const body = new URLSearchParams(params).toString();
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  it("accepts the published signature, with or without the default port", async () => {
    const headers = { "x-twilio-signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" };
    expect(await verifyTwilio(["12345"], input(body, headers, 0, url))).toEqual({ ok: true });
    expect(
      await verifyTwilio(["12345"], input(body, headers, 0, "https://mycompany.com:443/myapp.php?foo=1&bar=2")),
    ).toEqual({ ok: true });
    expect(await verifyTwilio(["12345"], input(body.replace("1234", "9999"), headers, 0, url))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
    expect(
      await verifyTwilio(["12345"], input(body, headers, 0, "https://mycompany.com/other.php?foo=1&bar=2")),
    ).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
  });
});

describe("Standard Webhooks library vector", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const headers = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  const body = '{"test": 2432232314}';
  it("accepts it under webhook-* and svix-* names, among other signatures", async () => {
    expect(await verifyStandard([secret], input(body, headers, 1614265330))).toEqual({ ok: true });
    const svix = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace("webhook-", "svix-"), v]));
    expect(await verifyStandard([secret], input(body, svix, 1614265330))).toEqual({ ok: true });
    const several = {
      ...headers,
      "webhook-signature": `v1a,abc v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${headers["webhook-signature"]}`,
    };
    expect(await verifyStandard([secret], input(body, several, 1614265330))).toEqual({ ok: true });
  });
  it("refuses stale, future, dotted ids and tampered bodies", async () => {
    expect(await verifyStandard([secret], input(body, headers, 1614265330 + 301))).toEqual({
      ok: false,
      reason: "timestamp_too_old",
    });
    expect(await verifyStandard([secret], input(body, headers, 1614265330 - 301))).toEqual({
      ok: false,
      reason: "timestamp_in_future",
    });
    expect(await verifyStandard([secret], input(body, { ...headers, "webhook-id": "msg.1" }, 1614265330))).toEqual({
      ok: false,
      reason: "malformed_signature",
    });
    expect(await verifyStandard([secret], input('{"test": 2432232315}', headers, 1614265330))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
  });
});
