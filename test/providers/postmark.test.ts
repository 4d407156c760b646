/**
 * Postmark signs nothing: its webhooks carry HTTP Basic credentials written into the webhook URL,
 * checked before the body is read. The builder is RFC 7617's encoding, pinned to the header the
 * development credentials give (/tmp/providers/postmark.md).
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { envelope } from "../support/api";
import { delivered, expectAccepted, expectUnauthorized, GATEWAY, resetAfterEach, send } from "../support/providers";

const DEV_CREDENTIALS = "postmark:local-dev-secret";
const basicAuthorization = (credentials = DEV_CREDENTIALS) =>
  `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;

const postmarkEvent = (recordType = "Delivery", messageId = "883953f4-6105-42a2-a16a-77a8eac79483") =>
  JSON.stringify({
    RecordType: recordType,
    MessageID: messageId,
    ServerID: 23,
    MessageStream: "outbound",
    Recipient: "john@example.com",
    ReceivedAt: new Date().toISOString(),
  });

const headers = (authorization: string) => ({
  "content-type": "application/json",
  authorization,
  "user-agent": "Postmark",
});
const post = (body: string, authorization = basicAuthorization()) =>
  send("postmark", { body, headers: headers(authorization) });

const ROTATING = { ...env, POSTMARK_CREDENTIALS: JSON.stringify(["postmark:old-secret", DEV_CREDENTIALS]) } as Env;
const postRotating = (body: string, authorization: string) =>
  app.request(`${GATEWAY}/ingest/postmark`, { method: "POST", body, headers: headers(authorization) }, ROTATING);

type OpenApi = { paths: Record<string, { post?: { description?: string; security?: unknown } }> };

resetAfterEach();

describe("Postmark", () => {
  it("the builder encodes the development credentials as RFC 7617 does", () => {
    expect(basicAuthorization()).toBe("Basic cG9zdG1hcms6bG9jYWwtZGV2LXNlY3JldA==");
  });

  it("accepts an event with the credentials: RecordType as event, no delivery id, never the credentials", async () => {
    const [id] = await expectAccepted(await post(postmarkEvent("Bounce")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "postmark", event: "Bounce", delivery_id: null });
    expect(message!.headers).toEqual({ "user-agent": "Postmark" });
  });

  it.each([
    ["a wrong password", basicAuthorization("postmark:wrong")],
    ["a wrong user", basicAuthorization("mallory:local-dev-secret")],
    ["no credentials", ""],
    ["a bearer token", "Bearer local-dev-secret"],
    ["credentials that are not base64", "Basic !!!"],
  ])("refuses %s with the generic 401, before reading the body", async (_case, authorization) => {
    await expectUnauthorized(await post("{not json", authorization));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated credential list accepts both", async () => {
    await expectAccepted(await postRotating(postmarkEvent("Open"), basicAuthorization("postmark:old-secret")));
    await expectAccepted(await postRotating(postmarkEvent("Click"), basicAuthorization()));
    await expectUnauthorized(await postRotating(postmarkEvent(), basicAuthorization("postmark:older-still")));
    expect((await delivered()).length).toBe(2);
  });

  it("a resent body is a duplicate; another event of the same MessageID is not", async () => {
    const body = postmarkEvent("Delivery", "msg-1");
    const [id] = await expectAccepted(await post(body));
    const again = await post(body);
    expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
      status: 200,
      result: { ids: [id], duplicate: true },
    });
    const [open] = await expectAccepted(await post(postmarkEvent("Open", "msg-1")));
    expect((await delivered()).map((m) => m.id)).toEqual([id, open]);
  });

  it("is described in /openapi.json", async () => {
    const operation = ((await (await SELF.fetch(`${GATEWAY}/openapi.json`)).json()) as OpenApi).paths[
      "/ingest/postmark"
    ]?.post;
    expect(operation?.description).toContain("HTTP Basic credentials");
    expect(operation?.security).toEqual([{ basic: [] }]);
  });
});
