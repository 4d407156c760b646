import { describe, expect, it } from "vitest";
import { msgraph } from "../../src/providers/msgraph";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectAnswer,
  expectDuplicate,
  expectUnauthorized,
  ingestDescription,
  resetAfterEach,
  send,
  verifyDirectly,
} from "../support/providers";

/** The documentation's example notification (change-notifications-delivery-webhooks), with our client state. */
const notification = (overrides: Record<string, unknown> = {}) => ({
  id: "lsgTZMr9KwAAA",
  subscriptionId: "{subscription_guid}",
  subscriptionExpirationDateTime: "2016-03-19T22:11:09.952Z",
  clientState: DEV_SECRET,
  changeType: "created",
  resource: "users/{user_guid}@{tenant_guid}/messages/{long_id_string}",
  tenantId: "84bd8158-6d4d-4958-8b9f-9d6445542f95",
  resourceData: {
    "@odata.type": "#Microsoft.Graph.Message",
    "@odata.id": "Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}",
    "@odata.etag": 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"',
    id: "{long_id_string}",
  },
  ...overrides,
});
const graphBody = (...items: unknown[]) => JSON.stringify({ value: items.length ? items : [notification()] });
const DOCUMENTED_EXAMPLE = `{"value":[{"id":"lsgTZMr9KwAAA","subscriptionId":"{subscription_guid}","subscriptionExpirationDateTime":"2016-03-19T22:11:09.952Z","clientState":"secretClientValue","changeType":"created","resource":"users/{user_guid}@{tenant_guid}/messages/{long_id_string}","tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}","@odata.etag":"W/\\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\\"","id":"{long_id_string}"}}]}`;
/** A validation token in Graph's format ("Validation: Testing client application reachability for subscription Request-Id: <guid>"). */
const VALIDATION_TOKEN =
  "Validation: Testing client application reachability for subscription Request-Id: 25ed8e35-5e6b-4bd4-8cb9-6d4fb53c4bd1";

const post = (body: string, contentType = "application/json") =>
  send("msgraph", { body, headers: { "content-type": contentType } });

resetAfterEach();

describe("Microsoft Graph", () => {
  it("the builder reproduces the documented example notification", () => {
    expect(JSON.parse(graphBody(notification({ clientState: "secretClientValue" })))).toEqual(
      JSON.parse(DOCUMENTED_EXAMPLE),
    );
  });

  it("accepts notifications carrying the client state: event changeType, no delivery id", async () => {
    const body = graphBody(notification(), notification({ id: "second" }));
    const [id] = await expectAccepted(
      await send("msgraph", {
        body,
        headers: { "content-type": "application/json", "user-agent": "Microsoft-Graph", cookie: "a=b" },
      }),
    );
    const messages = await delivered();
    expect(messages).toMatchObject([
      { id, source: "msgraph", event: "created", delivery_id: null, data: JSON.parse(body) },
    ]);
    expect(messages[0]?.headers).toEqual({ "user-agent": "Microsoft-Graph" });
  });

  it("enqueues lifecycle notifications, named by their lifecycleEvent; mixed batches have no event", async () => {
    const lifecycle = {
      subscriptionId: "s",
      clientState: DEV_SECRET,
      lifecycleEvent: "reauthorizationRequired",
      tenantId: "t",
    };
    await expectAccepted(await post(graphBody(lifecycle)));
    await expectAccepted(await post(graphBody(lifecycle, notification())));
    expect((await delivered()).map((m) => m.event)).toEqual(["reauthorizationRequired", null]);
  });

  it.each([
    ["a wrong client state", graphBody(notification({ clientState: "guess" }))],
    ["one wrong client state among good ones", graphBody(notification(), notification({ clientState: "guess" }))],
    ["a missing client state", graphBody(notification({ clientState: undefined }))],
    ["an empty client state", graphBody(notification({ clientState: "" }))],
    ["a non-string client state", graphBody(notification({ clientState: [DEV_SECRET] }))],
    ["no notifications", '{"value":[]}'],
    ["value not a list", `{"value":{"clientState":"${DEV_SECRET}"}}`],
    ["a notification that is not an object", `{"value":["${DEV_SECRET}"]}`],
    ["more than 100 notifications", graphBody(...Array.from({ length: 101 }, () => notification()))],
    ["malformed JSON", `{"value":[{"clientState":"${DEV_SECRET}"}`],
    ["a JSON scalar", "null"],
  ])("refuses %s with the generic 401", async (_, body) => {
    await expectUnauthorized(await post(body));
    expect(await delivered()).toEqual([]);
  });

  it("refuses bytes that are not UTF-8 with the generic 401", async () => {
    await expectUnauthorized(
      await send("msgraph", {
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
        headers: { "content-type": "application/json" },
      }),
    );
  });

  it("accepts any configured client state (rotation)", async () => {
    const auth = msgraph.auth.parse({ kind: "msgraph", secret: "S", secrets: ["old", "new"] });
    const check = (...states: string[]) =>
      verifyDirectly(msgraph, auth, graphBody(...states.map((clientState) => notification({ clientState }))));
    expect(
      (await Promise.all([check("old"), check("new"), check("old", "new"), check("new", "older")])).map((r) => r.ok),
    ).toEqual([true, true, true, false]);
  });

  it("answers the validation POST with the decoded token as text/plain before reading the body, enqueueing nothing", async () => {
    const res = await send("msgraph", {
      query: `?validationToken=${encodeURIComponent(VALIDATION_TOKEN)}`,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await expectAnswer(res, 200, "text/plain; charset=utf-8", VALIDATION_TOKEN);
    // Form-style encoding (`+` for spaces) decodes the same way.
    await expectAnswer(
      await send("msgraph", { query: "?validationToken=Validation%3a+Testing" }),
      200,
      "text/plain; charset=utf-8",
      "Validation: Testing",
    );
    expect(await delivered()).toEqual([]);
  });

  it.each([
    ["a huge token on POST (refused as a delivery: 415)", "POST", `?validationToken=ECHO-ME${"x".repeat(1100)}`, 415],
    ["a token on GET (Graph validates with POST)", "GET", "?validationToken=ECHO-ME", 404],
    ["a GET without token", "GET", "", 404],
    ["junk on GET", "GET", "?validationToken[]=ECHO-ME&%zz", 404],
  ])("does not echo %s", async (_, method, query, status) => {
    const res = await send("msgraph", { method, query, headers: { "content-type": "text/plain" } });
    expect({ status: res.status, echoed: (await res.text()).includes("ECHO-ME") }).toEqual({ status, echoed: false });
    expect(await delivered()).toEqual([]);
  });

  it("answers a repeat of the same notification body as a duplicate", async () => {
    await expectDuplicate(post(graphBody()), () => post(graphBody()));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("msgraph")).toContain("clientState");
  });
});
