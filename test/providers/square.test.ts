/**
 * Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of notification URL + body>`, the
 * URL being the source's public one. The builder is proved by the vectors published in Square's
 * SDK tests (/tmp/providers/square.md).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import {
  DEV_PUBLIC_BASE_URL,
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

const NOTIFICATION_URL = `${DEV_PUBLIC_BASE_URL}/ingest/square`;

const squareSignature = (body: string, { secret = DEV_SECRET, url = NOTIFICATION_URL } = {}) =>
  createHmac("sha256", secret)
    .update(url + body)
    .digest("base64");

const squareEvent = (id = crypto.randomUUID(), type = "payment.updated") =>
  JSON.stringify({
    merchant_id: "MLEFBHHSJGVHD",
    type,
    event_id: id,
    created_at: "2022-07-13T20:30:59.037339943Z",
    data: { type: "payment", id: "pay_1" },
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "x-square-hmacsha256-signature": signature,
  "x-square-signature": "legacy-sha1",
  "square-environment": "Sandbox",
  "square-retry-number": "1",
  "user-agent": "Square Connect v2",
});
const post = (body: string, signature = squareSignature(body)) => send("square", { body, headers: headers(signature) });

/** The gateway with other square options (config is read from the bindings). */
const postWith = (vars: Record<string, unknown>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/square`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { SQUARE_SIGNATURE_KEY: JSON.stringify(ROTATING_SECRETS) };
/** The test bindings' sources, plus an override of this one (a source's `auth` is replaced whole). */
const PROXIED = {
  SOURCES: {
    ...(env.SOURCES as object),
    square: {
      auth: { kind: "square", secret: "SQUARE_SIGNATURE_KEY", public_base_url: "https://hooks.example.com/tributary" },
    },
  },
};

resetAfterEach();

describe("Square", () => {
  it.each([
    [
      "Ibxx_5AKakO-3qeNVR61Dw",
      "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
      '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
      "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
    ],
    [
      "signature-key",
      "https://webhook.site/webhooks",
      '{"data":{"type":"webhooks","id":"fake_id"}}',
      "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=",
    ],
  ])("the builder reproduces Square's published vector (key %s)", (secret, url, body, expected) => {
    expect(squareSignature(body, { secret, url })).toBe(expected);
  });

  it("accepts an event signed over the public URL: type as event, event_id as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(squareEvent("ev-1", "webhooks.test_notification")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "square", event: "webhooks.test_notification", delivery_id: "ev-1" });
    expect(message!.headers).toEqual({
      "square-environment": "Sandbox",
      "square-retry-number": "1",
      "user-agent": "Square Connect v2",
    });
  });

  const body = squareEvent("ev-refused");
  it.each([
    ["a tampered body", body.replace("payment.updated", "payment.created"), squareSignature(body)],
    ["a wrong key", body, squareSignature(body, { secret: "wrong" })],
    [
      "a signature over the Host the request was sent to",
      body,
      squareSignature(body, { url: `${GATEWAY}/ingest/square` }),
    ],
    ["a signature over another path", body, squareSignature(body, { url: `${DEV_PUBLIC_BASE_URL}/ingest/other` })],
    ["no signature", body, ""],
    [
      "a hex signature",
      body,
      createHmac("sha256", DEV_SECRET)
        .update(NOTIFICATION_URL + body)
        .digest("hex"),
    ],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("verifies against the configured public_base_url, path prefix included", async () => {
    const signed = squareEvent();
    await expectAccepted(
      await postWith(
        PROXIED,
        signed,
        squareSignature(signed, { url: "https://hooks.example.com/tributary/ingest/square" }),
      ),
    );
    await expectUnauthorized(await postWith(PROXIED, signed, squareSignature(signed)));
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const signed = squareEvent();
      return postWith(ROTATING, signed, squareSignature(signed, { secret }));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of an event_id is answered as a duplicate and enqueued once", async () => {
    const repeated = squareEvent("ev-dup");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("square")).toContain(
      "`x-square-hmacsha256-signature: <base64 HMAC-SHA256 of the notification URL",
    );
  });
});
