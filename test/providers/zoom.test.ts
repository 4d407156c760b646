import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { zoom } from "../../src/providers/zoom";
import { envelope } from "../support/api";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectAnswer,
  expectUnauthorized,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
  verifyDirectly,
} from "../support/providers";

const hmacHex = (secret: string, message: string) => createHmac("sha256", secret).update(message).digest("hex");
const zoomSignature = (body: string, at: number, secret = DEV_SECRET) => `v0=${hmacHex(secret, `v0:${at}:${body}`)}`;

function post(
  body: string,
  {
    at = nowSeconds(),
    secret = DEV_SECRET,
    headers = {},
  }: { at?: number; secret?: string; headers?: Record<string, string> } = {},
) {
  return send("zoom", {
    body,
    headers: {
      "content-type": "application/json",
      "x-zm-request-timestamp": String(at),
      "x-zm-signature": zoomSignature(body, at, secret),
      ...headers,
    },
  });
}

const STARTED =
  '{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"a","object":{"id":"1","topic":"caf\\u00e9"}}}';
const VALIDATION =
  '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}';

resetAfterEach();

describe("Zoom", () => {
  it("the builder's HMAC-SHA256 reproduces RFC 4231 test case 2", () => {
    expect(hmacHex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("accepts a signed event: event from the body, x-zm-trackingid as delivery id, allowlisted headers only", async () => {
    const at = nowSeconds();
    const headers = {
      "x-zm-trackingid": "v=2.0;clid=us06;rid=WEB_1",
      "user-agent": "Zoom Marketplace/1.0a",
      authorization: "legacy-token",
      cookie: "a=b",
    };
    const [id] = await expectAccepted(await post(STARTED, { at, headers }));
    const messages = await delivered();
    expect(messages).toMatchObject([
      {
        id,
        source: "zoom",
        event: "meeting.started",
        delivery_id: "v=2.0;clid=us06;rid=WEB_1",
        data: JSON.parse(STARTED),
      },
    ]);
    expect(messages[0]?.headers).toEqual({
      "x-zm-trackingid": "v=2.0;clid=us06;rid=WEB_1",
      "x-zm-request-timestamp": String(at),
      "user-agent": "Zoom Marketplace/1.0a",
    });
  });

  it.each([
    ["a tampered body", () => ({ "x-zm-signature": zoomSignature('{"event":"meeting.ended"}', nowSeconds()) })],
    ["a wrong key", () => ({ "x-zm-signature": zoomSignature(STARTED, nowSeconds(), "wrong") })],
    [
      "a stale timestamp",
      () => ({
        "x-zm-request-timestamp": String(nowSeconds() - STALE_SECONDS),
        "x-zm-signature": zoomSignature(STARTED, nowSeconds() - STALE_SECONDS),
      }),
    ],
    [
      "a future timestamp",
      () => ({
        "x-zm-request-timestamp": String(nowSeconds() + STALE_SECONDS),
        "x-zm-signature": zoomSignature(STARTED, nowSeconds() + STALE_SECONDS),
      }),
    ],
    [
      "a timestamp other than the signed one",
      () => ({
        "x-zm-request-timestamp": String(nowSeconds() - 1),
        "x-zm-signature": zoomSignature(STARTED, nowSeconds() + 1),
      }),
    ],
    ["no timestamp", () => ({ "x-zm-request-timestamp": "" })],
    [
      "a milliseconds timestamp",
      () => ({ "x-zm-request-timestamp": String(Date.now()), "x-zm-signature": zoomSignature(STARTED, Date.now()) }),
    ],
    ["no signature", () => ({ "x-zm-signature": "" })],
    ["a signature without its prefix", () => ({ "x-zm-signature": zoomSignature(STARTED, nowSeconds()).slice(3) })],
  ])("refuses %s with the generic 401", async (_, headers) => {
    await expectUnauthorized(await post(STARTED, { headers: headers() }));
    expect(await delivered()).toEqual([]);
  });

  it("accepts any configured secret (rotation); url_validation answers with the newest", async () => {
    const auth = zoom.auth.parse({ kind: "zoom", secret: "S", secrets: ["old", "new"] });
    const at = nowSeconds();
    const check = (secret: string) =>
      verifyDirectly(zoom, auth, STARTED, {
        "x-zm-request-timestamp": String(at),
        "x-zm-signature": zoomSignature(STARTED, at, secret),
      });
    expect((await Promise.all(["old", "new", "older"].map(check))).map((r) => r.ok)).toEqual([true, true, false]);
    const answer = await zoom.handshake?.(auth, JSON.parse(VALIDATION), new Headers());
    expect(answer?.body).toBe(
      JSON.stringify({
        plainToken: "qgg8vlvZRS6UYooatFL8Aw",
        encryptedToken: hmacHex("new", "qgg8vlvZRS6UYooatFL8Aw"),
      }),
    );
  });

  it("answers a signed url_validation as application/json with the encrypted token, enqueueing nothing", async () => {
    // encryptedToken as computed in the research notes for this plainToken and the development secret.
    const expected = {
      plainToken: "qgg8vlvZRS6UYooatFL8Aw",
      encryptedToken: "b89c915f7b170c6d0ec1b257a624588b84313e33b4c149d5e3160a6b67f37939",
    };
    expect(expected.encryptedToken).toBe(hmacHex(DEV_SECRET, expected.plainToken));
    await expectAnswer(await post(VALIDATION), 200, "application/json", JSON.stringify(expected));
    expect(await delivered()).toEqual([]);
  });

  it("refuses a url_validation with a bad signature (401, nothing answered)", async () => {
    await expectUnauthorized(await post(VALIDATION, { secret: "wrong" }));
    await expectUnauthorized(await send("zoom", { body: VALIDATION, headers: { "content-type": "application/json" } }));
  });

  it("answers no GET (404)", async () => {
    const res = await send("zoom", { method: "GET", query: "?plainToken=ECHO-ME" });
    expect({ status: res.status, echoed: (await res.text()).includes("ECHO-ME") }).toEqual({
      status: 404,
      echoed: false,
    });
  });

  it("answers a repeat of the same signed body as a duplicate, even re-signed at another time", async () => {
    const at = nowSeconds() - 5;
    const [id] = await expectAccepted(await post(STARTED, { at }));
    for (const again of [await post(STARTED, { at }), await post(STARTED, { at: at + 3 })]) {
      expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
        status: 200,
        result: { ids: [id], duplicate: true },
      });
    }
    expect(await delivered()).toHaveLength(1);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("zoom")).toContain("x-zm-signature");
  });
});
