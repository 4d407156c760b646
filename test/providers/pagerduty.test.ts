/**
 * PagerDuty (v3): `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>[,v1=…]`, one `v1`
 * per secret while rotating. The builder is proved by the vector of PagerDuty's own Go verifier
 * (go-pagerduty webhookv3/webhookv3_test.go).
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

const pagerdutySignature = (body: string, secrets = [DEV_SECRET]) =>
  secrets.map((secret) => `v1=${createHmac("sha256", secret).update(body).digest("hex")}`).join(",");

const pagerdutyEvent = (id = crypto.randomUUID(), type = "incident.triggered") =>
  JSON.stringify({
    event: {
      id,
      event_type: type,
      resource_type: "incident",
      occurred_at: "2021-04-26T17:36:27.458Z",
      agent: null,
      client: null,
      data: { id: "PGR0VU2" },
    },
  });

const headers = (signature: string, webhookId = crypto.randomUUID()) => ({
  "content-type": "application/json",
  "x-pagerduty-signature": signature,
  "x-webhook-id": webhookId,
  "x-webhook-subscription": "PSUB123",
  "user-agent": "PagerDuty-Webhook/V3.0",
});
const post = (body: string, signature = pagerdutySignature(body), webhookId?: string) =>
  send("pagerduty", { body, headers: headers(signature, webhookId) });

const ROTATING = { ...env, PAGERDUTY_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) } as Env;
const postRotating = (body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/pagerduty`, { method: "POST", body, headers: headers(signature) }, ROTATING);

resetAfterEach();

describe("PagerDuty", () => {
  it("the builder reproduces the vector of PagerDuty's Go verifier", () => {
    const secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
    const body =
      '{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}';
    expect(pagerdutySignature(body, [secret])).toBe(
      "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd",
    );
  });

  it("accepts a signed event: event.event_type as event, the signed event.id as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(pagerdutyEvent("01EV", "pagey.ping"), undefined, "wh-1"));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "pagerduty", event: "pagey.ping", delivery_id: "01EV" });
    expect(message!.headers).toEqual({
      "x-webhook-id": "wh-1",
      "x-webhook-subscription": "PSUB123",
      "user-agent": "PagerDuty-Webhook/V3.0",
    });
  });

  const body = pagerdutyEvent("01REFUSED");
  it.each([
    ["a tampered body", body.replace("incident.triggered", "incident.resolved"), pagerdutySignature(body)],
    ["a wrong key", body, pagerdutySignature(body, ["wrong"])],
    ["no signature", body, ""],
    ["only another version's signature", body, pagerdutySignature(body).replace("v1=", "v2=")],
    ["more signatures than a rotation needs", body, pagerdutySignature(body, [DEV_SECRET, "a", "b", "c", "d", "e"])],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("any v1 may match, and a rotated secret list accepts both secrets", async () => {
    const both = pagerdutyEvent();
    await expectAccepted(await post(both, pagerdutySignature(both, ["retired-secret", DEV_SECRET])));
    await expectRotation((secret) => {
      const signed = pagerdutyEvent();
      return postRotating(signed, pagerdutySignature(signed, [secret]));
    });
    expect((await delivered()).length).toBe(3);
  });

  it("a repeat of a signed event.id is a duplicate, whatever its (unsigned) X-Webhook-Id says", async () => {
    const repeated = pagerdutyEvent("01DUP");
    await expectDuplicate(post(repeated, undefined, "wh-first"), () => post(repeated, undefined, "wh-replayed"));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("pagerduty")).toContain("`X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>");
  });
});
