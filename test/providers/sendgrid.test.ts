/**
 * SendGrid's signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature`, base64 DER ECDSA
 * P-256/SHA-256 over `{timestamp}{body}`, within 300 s either way (the gateway's choice). The
 * builder (test/support/sign/sendgrid.ts) is proved by SendGrid's own library
 * (@sendgrid/eventwebhook, in workerd); the verifier by SendGrid's published example and the
 * DER conversion by RFC 6979 A.2.5's signatures.
 */
import { env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { EventWebhook } from "@sendgrid/eventwebhook";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { sendgrid } from "../../src/providers/sendgrid";
import { derToP1363, ecdsaP256VerifyAny, p256PublicKey } from "../../src/verify/ecdsa";
import {
  delivered,
  expectAccepted,
  expectDuplicate,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";
import { RFC6979_P256, type SendGridSigning, sendgridHeaders } from "../support/sign/sendgrid";

const OTHER_KEY = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const OTHER_SPKI = createPublicKey(OTHER_KEY).export({ format: "der", type: "spki" }).toString("base64");

const sgEvent = (event = "delivered", id = crypto.randomUUID()) => ({
  email: "a@example.com",
  timestamp: 1700000000,
  event,
  sg_event_id: id,
  sg_message_id: "m1",
});
const batch = (...events: object[]) => `${JSON.stringify(events.length ? events : [sgEvent(), sgEvent("open")])}\r\n`;

const post = (body: string, signing: SendGridSigning = {}, extra: Record<string, string> = {}) =>
  send("sendgrid", {
    body,
    headers: { ...sendgridHeaders(body, signing), "user-agent": "SendGrid Event API", cookie: "a=b", ...extra },
  });
/** The same gateway with other bindings (config is read from them). */
const postWith = (vars: Record<string, string>, body: string, signing: SendGridSigning = {}) =>
  app.request(`${GATEWAY}/ingest/sendgrid`, { method: "POST", body, headers: sendgridHeaders(body, signing) }, {
    ...env,
    ...vars,
  } as Env);

/** SendGrid's example (sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js). */
const PUBLISHED = {
  key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
  signature: "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
  timestamp: "1588788367",
  payload: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
};

/** RFC 6979 A.2.5, ECDSA with SHA-256 over "test": r (high bit set: DER pads it) and s (no padding). */
const RFC6979_TEST = {
  r: Buffer.from("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367", "hex"),
  s: Buffer.from("019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083", "hex"),
};
const int = (...bytes: number[]) => [0x02, bytes.length, ...bytes];
const seq = (...parts: number[][]) => [0x30, parts.flat().length, ...parts.flat()];
const R = [0, ...RFC6979_TEST.r];
const S = [...RFC6979_TEST.s];

resetAfterEach();

describe("SendGrid", () => {
  it("the builder signs as SendGrid does: @sendgrid/eventwebhook verifies it", () => {
    const body = batch();
    const headers = sendgridHeaders(body);
    const library = new EventWebhook();
    const key = library.convertPublicKeyToECDSA(RFC6979_P256.spki);
    const [signature, timestamp] = [
      headers["x-twilio-email-event-webhook-signature"]!,
      headers["x-twilio-email-event-webhook-timestamp"]!,
    ];
    expect(library.verifySignature(key, body, signature, timestamp)).toBe(true);
    expect(library.verifySignature(key, body.trim(), signature, timestamp)).toBe(false);
  });

  it("the verifier accepts SendGrid's published example at its time", async () => {
    const input = (payload: string) => ({
      body: new TextEncoder().encode(payload),
      headers: new Headers({
        "x-twilio-email-event-webhook-signature": PUBLISHED.signature,
        "x-twilio-email-event-webhook-timestamp": PUBLISHED.timestamp,
      }),
      method: "POST",
      url: new URL("https://example.com/"),
      nowSeconds: Number(PUBLISHED.timestamp),
    });
    const verify = (payload: string) =>
      sendgrid.verify({ kind: "sendgrid", secret: "S", secrets: [PUBLISHED.key] }, input(payload), {
        keys: [],
        queue: "webhooks",
      });
    expect(await verify(PUBLISHED.payload)).toEqual({ ok: true, value: {} });
    expect(await verify(`${PUBLISHED.payload} `)).toMatchObject({ ok: false, why: "signature_mismatch" });
  });

  it("converts DER to r‖s as RFC 6979's signature needs it", async () => {
    const raw = derToP1363(Uint8Array.from(seq(int(...R), int(...S))));
    expect(Buffer.from(raw!).equals(Buffer.concat([RFC6979_TEST.r, RFC6979_TEST.s]))).toBe(true);
    expect(await ecdsaP256VerifyAny([p256PublicKey(RFC6979_P256.spki)!], new TextEncoder().encode("test"), raw!)).toBe(
      true,
    );
    expect(
      await ecdsaP256VerifyAny([p256PublicKey(RFC6979_P256.spki)!], new TextEncoder().encode("sample"), raw!),
    ).toBe(false);
  });

  it.each<[string, number[]]>([
    ["empty", []],
    ["another outer tag", [0x31, ...seq(int(...R), int(...S)).slice(1)]],
    ["a long-form length", [0x30, 0x81, ...seq(int(...R), int(...S)).slice(1)]],
    ["a trailing byte", [...seq(int(...R), int(...S)), 0]],
    ["a third element", seq(int(...S), int(...S), [0x05, 0x00])],
    ["a negative r", seq(int(...RFC6979_TEST.r), int(...S))],
    ["a non-minimal s", seq(int(...R), int(0, ...S))],
    ["a 33-byte r", seq(int(0, 0x80, ...RFC6979_TEST.r), int(...S))],
    ["an empty r", seq(int(), int(...S))],
    ["an INTEGER longer than the input", seq([0x02, 0x7f, ...RFC6979_TEST.r], int(...S))],
    ["another inner tag", seq([0x03, ...int(...R).slice(1)], int(...S))],
    ["one INTEGER only", seq(int(...R))],
    ["more than 72 bytes", seq(int(0, 0x80, ...RFC6979_TEST.r), int(0, 0x80, ...RFC6979_TEST.s))],
  ])("reads DER strictly, without throwing: %s is no signature", (_case, bytes) => {
    expect(derToP1363(Uint8Array.from(bytes))).toBeUndefined();
  });

  it.each<[string, object[], string | null, string | null]>([
    ["events of one type: that type", [sgEvent("delivered"), sgEvent("delivered")], "delivered", null],
    ["mixed events: no event", [sgEvent("processed"), sgEvent("open")], null, null],
    ["a single event: its type and sg_event_id", [sgEvent("bounce", "ZXZlbnQx")], "bounce", "ZXZlbnQx"],
  ])("accepts a signed batch as one message — %s", async (_case, events, event, deliveryId) => {
    const body = batch(...events);
    const [id] = await expectAccepted(await post(body));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "sendgrid", event, delivery_id: deliveryId, data: events });
    expect(Object.keys(message!.headers).sort()).toEqual(["user-agent", "x-twilio-email-event-webhook-timestamp"]);
  });

  const body = batch();
  const signature = () => sendgridHeaders(body)["x-twilio-email-event-webhook-signature"]!;
  it.each<[string, () => Promise<Response>]>([
    [
      "a tampered body",
      () =>
        post(
          body,
          {},
          {
            "x-twilio-email-event-webhook-signature": sendgridHeaders(body.trim())[
              "x-twilio-email-event-webhook-signature"
            ]!,
          },
        ),
    ],
    ["a wrong key", () => post(body, { key: OTHER_KEY })],
    ["a stale timestamp", () => post(body, { at: nowSeconds() - STALE_SECONDS })],
    ["a future timestamp", () => post(body, { at: nowSeconds() + STALE_SECONDS })],
    [
      "another timestamp than the signed one",
      () => post(body, {}, { "x-twilio-email-event-webhook-timestamp": String(nowSeconds() - 1) }),
    ],
    ["no signature", () => post(body, {}, { "x-twilio-email-event-webhook-signature": "" })],
    ["no timestamp", () => post(body, {}, { "x-twilio-email-event-webhook-timestamp": "" })],
    [
      "a signature that is not base64",
      () => post(body, {}, { "x-twilio-email-event-webhook-signature": "not base64!" }),
    ],
    [
      "a raw r‖s signature instead of DER",
      () => post(body, {}, { "x-twilio-email-event-webhook-signature": Buffer.alloc(64, 1).toString("base64") }),
    ],
    [
      "an overlong signature",
      () => post(body, {}, { "x-twilio-email-event-webhook-signature": `${signature()}${"A".repeat(4000)}` }),
    ],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await request());
    expect(await delivered()).toEqual([]);
  });

  it("a rotated key list accepts both keys", async () => {
    const rotating = { SENDGRID_PUBLIC_KEY: JSON.stringify([OTHER_SPKI, RFC6979_P256.spki]) };
    await expectAccepted(await postWith(rotating, batch(), { key: OTHER_KEY }));
    await expectAccepted(await postWith(rotating, batch()));
    await expectUnauthorized(
      await postWith(rotating, batch(), { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }),
    );
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of a batch, even re-signed, is answered as a duplicate and enqueued once", async () => {
    const repeated = batch();
    await expectDuplicate(post(repeated, { at: nowSeconds() - 5 }), () => post(repeated));
  });

  it("refuses a configured key that is not a P-256 public key", () => {
    const ed25519 = "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const parsed = sendgrid.auth.safeParse({ kind: "sendgrid", secret: "SENDGRID_PUBLIC_KEY", secrets: [ed25519] });
    expect(parsed.error?.issues.map((i) => i.path)).toEqual([["secrets", 0]]);
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("sendgrid")).toContain("`X-Twilio-Email-Event-Webhook-Signature:");
  });
});
