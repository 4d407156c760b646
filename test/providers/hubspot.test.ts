/**
 * HubSpot (v3): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256 of {method}{uri}{body}{timestamp}>`
 * with `X-HubSpot-Request-Timestamp` in milliseconds, within 300 s either way. The uri is the
 * public URL (public_base_url + path + query) with only the escapes of HubSpot's table decoded.
 * The builder below is checked against the research notes' v3 vector, whose construction
 * @hubspot/api-client's `Signature.isValid({ signatureVersion: "v3", … })` accepted (that
 * package is Node-only and not installed here).
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
  STALE_SECONDS,
  send,
} from "../support/providers";

/** HubSpot's table of escapes decoded in the signed uri; every other escape stays as sent. */
const TABLE: Record<string, string> = {
  "3A": ":",
  "2F": "/",
  "3F": "?",
  "40": "@",
  "21": "!",
  "24": "$",
  "27": "'",
  "28": "(",
  "29": ")",
  "2A": "*",
  "2C": ",",
  "3B": ";",
};
const hubspotUri = (url: string) =>
  url.replace(/%([0-9A-F]{2})/gi, (encoded, code: string) => TABLE[code.toUpperCase()] ?? encoded);

interface Signing {
  secret?: string;
  /** Milliseconds. */
  at?: number;
  /** The URL HubSpot called, before decoding. */
  url?: string;
}
function hubspotSignature(
  body: string,
  { secret = DEV_SECRET, at = Date.now(), url = `${DEV_PUBLIC_BASE_URL}/ingest/hubspot` }: Signing = {},
): string {
  return createHmac("sha256", secret)
    .update(`POST${hubspotUri(url)}${body}${at}`, "utf8")
    .digest("base64");
}

const hubspotEvents = (...types: string[]) =>
  JSON.stringify(
    types.map((subscriptionType, i) => ({
      eventId: Math.floor(Math.random() * 1e9) + i,
      subscriptionId: 12345,
      portalId: 62515,
      appId: 54321,
      occurredAt: Date.now(),
      subscriptionType,
      attemptNumber: 0,
      objectId: 123,
      changeSource: "CRM",
    })),
  );

const headers = (signature: string, at: number) => ({
  "content-type": "application/json",
  "x-hubspot-signature-v3": signature,
  "x-hubspot-request-timestamp": String(at),
  "x-hubspot-signature": "legacy-v1-signature",
  "user-agent": "HubSpot Webhooks",
  cookie: "a=b",
});
/** A request signed as HubSpot would (`sent` replaces the body afterwards, to tamper with it). */
function signed(body: string, signing: Signing = {}, sent = body) {
  const at = signing.at ?? Date.now();
  return { body: sent, headers: headers(hubspotSignature(body, { ...signing, at }), at) };
}
const post = (body: string, signing: Signing = {}, query = "") => send("hubspot", { ...signed(body, signing), query });
const ROTATING = { HUBSPOT_CLIENT_SECRET: JSON.stringify(ROTATING_SECRETS) };
const postRotating = (body: string, secret: string) =>
  app.request(`${GATEWAY}/ingest/hubspot`, { method: "POST", ...signed(body, { secret }) }, {
    ...env,
    ...ROTATING,
  } as Env);

resetAfterEach();

describe("HubSpot", () => {
  it("the builder signs as HubSpot v3 does (the research notes' vector) and decodes only the table's escapes", () => {
    const body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    expect(hubspotSignature(body, { at: 1735689600000 })).toBe("34Kb5ZoVlXWambEDicQPqw5x6OnftYmn6rakvX+8AJk=");
    expect(hubspotUri(`${DEV_PUBLIC_BASE_URL}/ingest/hubspot?x=a%3Ab%20c%3d%2a`)).toBe(
      `${DEV_PUBLIC_BASE_URL}/ingest/hubspot?x=a:b%20c%3d*`,
    );
  });

  it("accepts a signed batch: the events' shared subscriptionType as event, no delivery id, allowlisted headers only", async () => {
    const at = Date.now();
    const [id] = await expectAccepted(await post(hubspotEvents("contact.creation", "contact.creation"), { at }));
    await expectAccepted(await post(hubspotEvents("contact.creation", "deal.deletion")));
    const [message, mixed, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "hubspot",
      event: "contact.creation",
      delivery_id: null,
      data: [{ portalId: 62515 }, { portalId: 62515 }],
    });
    expect(message!.headers).toEqual({ "x-hubspot-request-timestamp": String(at), "user-agent": "HubSpot Webhooks" });
    expect(mixed).toMatchObject({ event: null });
  });

  it("verifies the public URL with its query, HubSpot's escapes decoded and the others kept", async () => {
    const query = "?portal=62515&note=a%3Ab%20c%27d%2Fe";
    await expectAccepted(
      await post(hubspotEvents("contact.creation"), { url: `${DEV_PUBLIC_BASE_URL}/ingest/hubspot${query}` }, query),
    );
    // decodeURIComponent would also turn %20 into a space: HubSpot keeps it.
    const decodedAll = `${DEV_PUBLIC_BASE_URL}/ingest/hubspot${decodeURIComponent(query)}`;
    await expectUnauthorized(await post(hubspotEvents("contact.creation"), { url: decodedAll }, query));
    // Signed for the Host the request was sent to, not the configured public URL.
    await expectUnauthorized(await post(hubspotEvents("contact.creation"), { url: `${GATEWAY}/ingest/hubspot` }));
    await expectUnauthorized(await post(hubspotEvents("contact.creation"), {}, "?extra=1"));
    expect((await delivered()).length).toBe(1);
  });

  const body = hubspotEvents("contact.creation");
  const withHeader = (name: string, value: string) => {
    const request = signed(body);
    return { ...request, headers: { ...request.headers, [name]: value } };
  };
  it.each<[string, () => { body: string; headers: Record<string, string> }]>([
    ["a tampered body", () => signed(body, {}, `${body} `)],
    ["a wrong key", () => signed(body, { secret: "wrong" })],
    ["a stale timestamp", () => signed(body, { at: Date.now() - STALE_SECONDS * 1000 })],
    ["a future timestamp", () => signed(body, { at: Date.now() + STALE_SECONDS * 1000 })],
    ["a timestamp in seconds", () => signed(body, { at: Math.floor(Date.now() / 1000) })],
    ["no signature", () => withHeader("x-hubspot-signature-v3", "")],
    ["no timestamp", () => withHeader("x-hubspot-request-timestamp", "")],
    ["a malformed timestamp", () => withHeader("x-hubspot-request-timestamp", "soon")],
    ["a malformed signature", () => withHeader("x-hubspot-signature-v3", "not base64!")],
    [
      "a hex signature",
      () => withHeader("x-hubspot-signature-v3", createHmac("sha256", DEV_SECRET).update(body).digest("hex")),
    ],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await send("hubspot", request()));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => postRotating(hubspotEvents("contact.creation"), secret));
    expect((await delivered()).length).toBe(2);
  });

  it("a retry of a signed body (signed again, later) is answered as a duplicate and enqueued once", async () => {
    const repeated = hubspotEvents("contact.creation");
    await expectDuplicate(post(repeated, { at: Date.now() - 60_000 }), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("hubspot")).toContain(
      "`X-HubSpot-Signature-v3: <base64 HMAC-SHA256 of {method}{public URL}{body}{timestamp}>`",
    );
  });
});
