/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`. Typeform publishes no
 * verifier and no example with its secret: the builder is the documented recipe, pinned to a
 * vector computed with node:crypto and WebCrypto alike (/tmp/providers/typeform.md).
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

const typeformSignature = (body: string, secret = DEV_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("base64")}`;

const formResponse = (id = crypto.randomUUID(), type = "form_response") =>
  JSON.stringify({
    event_id: id,
    event_type: type,
    form_response: { form_id: "abc123", token: "t1", submitted_at: "2024-01-01T00:00:00Z", answers: [{ text: "é ✓" }] },
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "typeform-signature": signature,
  "user-agent": "Typeform Webhooks",
});
const post = (body: string, signature = typeformSignature(body)) =>
  send("typeform", { body, headers: headers(signature) });

const ROTATING = { ...env, TYPEFORM_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) } as Env;
const postRotating = (body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/typeform`, { method: "POST", body, headers: headers(signature) }, ROTATING);

resetAfterEach();

describe("Typeform", () => {
  it("the builder reproduces the pinned vector (secret local-dev-secret)", () => {
    const body =
      '{"event_id":"01H0TEST","event_type":"form_response","form_response":{"form_id":"abc123","token":"t1","submitted_at":"2024-01-01T00:00:00Z"}}';
    expect(typeformSignature(body)).toBe("sha256=adBAzAWCWx90UXNWD5D/lZGI8QCiWbk6eAG6ggvw/JA=");
  });

  it("accepts a signed response: event_type as event, event_id as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(formResponse("01EV", "form_response_partial")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "typeform", event: "form_response_partial", delivery_id: "01EV" });
    expect(message!.headers).toEqual({ "user-agent": "Typeform Webhooks" });
  });

  const body = formResponse("01REFUSED");
  it.each([
    ["a tampered body", body.replace("abc123", "abc124"), typeformSignature(body)],
    ["a wrong key", body, typeformSignature(body, "wrong")],
    ["no signature", body, ""],
    ["a hex signature", body, `sha256=${createHmac("sha256", DEV_SECRET).update(body).digest("hex")}`],
    ["a signature without its prefix", body, typeformSignature(body).slice("sha256=".length)],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const signed = formResponse();
      return postRotating(signed, typeformSignature(signed, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of an event_id is answered as a duplicate and enqueued once", async () => {
    const repeated = formResponse("01DUP");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("typeform")).toContain(
      "`Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`",
    );
  });
});
