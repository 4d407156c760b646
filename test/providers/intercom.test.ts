/**
 * Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` with the app's client secret;
 * the URL validation is an unsigned HEAD, answered 200. Intercom publishes no verifier and no
 * example with its secret: the builder is the documented recipe, pinned to a vector computed
 * with node:crypto and WebCrypto alike (/tmp/providers/intercom.md).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectAnswer,
  expectDuplicate,
  expectRotation,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  ROTATING_SECRETS,
  resetAfterEach,
  send,
} from "../support/providers";

const intercomSignature = (body: string, secret = DEV_SECRET) =>
  `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;

const notification = (id: string | null = `notif_${crypto.randomUUID()}`, topic = "conversation.user.created") =>
  JSON.stringify({
    type: "notification_event",
    app_id: "a86dr8yl",
    data: { type: "notification_event_data", item: { type: "conversation" } },
    id,
    topic,
    delivery_attempts: 1,
    created_at: 1700000000,
  });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "x-hub-signature": signature,
  "user-agent": "intercom-parrot-service-client/1.0",
});
const post = (body: string, signature = intercomSignature(body)) =>
  send("intercom", { body, headers: headers(signature) });

const ROTATING = { ...env, INTERCOM_CLIENT_SECRET: JSON.stringify(ROTATING_SECRETS) } as Env;
const postRotating = (body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/intercom`, { method: "POST", body, headers: headers(signature) }, ROTATING);

resetAfterEach();

describe("Intercom", () => {
  it("the builder reproduces the pinned vector (Intercom's ping, secret local-dev-secret)", () => {
    const ping =
      '{"type":"notification_event","app_id":"a86dr8yl","data":{"type":"notification_event_data","item":{"type":"ping","message":"something something interzen"}},"links":{},"id":null,"topic":"ping","delivery_status":null,"delivery_attempts":1,"delivered_at":0,"first_sent_at":1700000000,"created_at":1700000000,"self":null}';
    expect(intercomSignature(ping)).toBe("sha1=2dbefe9277960394203734bb5135c11f59c2e207");
  });

  it("accepts a signed notification: topic as event, its id as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(notification("notif_1")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "intercom",
      event: "conversation.user.created",
      delivery_id: "notif_1",
    });
    expect(message!.headers).toEqual({ "user-agent": "intercom-parrot-service-client/1.0" });
  });

  it("answers the URL validation (HEAD) 200 and enqueues nothing; GET is not a validation", async () => {
    await expectAnswer(await send("intercom", { method: "HEAD" }), 200, "text/plain; charset=utf-8", "");
    expect((await send("intercom", { method: "GET" })).status).toBe(404);
    expect(await delivered()).toEqual([]);
  });

  const body = notification("notif_refused");
  it.each([
    ["a tampered body", body.replace("notif_refused", "notif_other"), intercomSignature(body)],
    ["a wrong key", body, intercomSignature(body, "wrong")],
    ["no signature", body, ""],
    ["a SHA-256 signature", body, `sha256=${createHmac("sha256", DEV_SECRET).update(body).digest("hex")}`],
    ["a signature without its prefix", body, intercomSignature(body).slice("sha1=".length)],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const signed = notification();
      return postRotating(signed, intercomSignature(signed, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of a notification id is answered as a duplicate and enqueued once", async () => {
    const repeated = notification("notif_dup");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("intercom")).toContain("`X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`");
  });
});
