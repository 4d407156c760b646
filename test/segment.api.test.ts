/**
 * Segment's tracking API at /v1/*, as Segment's clients call it: every call type at its full and
 * analytics.js's short path, batches, analytics.js's text/plain bodies with the write key inside,
 * gzip, CORS, clock-skew correction, and the envelope each event becomes (pulled back from the
 * `events` queue and compared byte for byte). Then what is refused, with which status, and that
 * nothing of a refused request reaches the queue.
 */
import { reset, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, decode, drain, envelope, GATEWAY, type Pulled, pull } from "./support/api";
import { KEYS } from "./support/constants";
import { ingest } from "./support/signing";
import { basicAuth, messageId, track, trackEvent } from "./support/tracking";
import { WRITE_KEYS } from "./support/write-keys";

afterEach(() => reset());

const rawBody = (m: Pulled) => new TextDecoder().decode(Uint8Array.from(atob(m.body), (c) => c.charCodeAt(0)));
const SUCCESS = { success: true };

type Envelope = {
  id: string;
  source: string;
  received_at: string;
  delivery_id: string | null;
  event: string;
  type: string;
  timestamp: string;
  original_timestamp: string | null;
  sent_at: string | null;
  content_type: string;
  headers: Record<string, string>;
  batch?: Record<string, unknown>;
  data: Record<string, unknown>;
};

async function expectRefused(res: Response, status: number, code: number) {
  const body = await envelope(res);
  expect({ status: res.status, success: body.success, code: body.errors[0]?.code }).toEqual({
    status,
    success: false,
    code,
  });
  return body;
}

async function nothingEnqueued() {
  expect((await pull("events", {})).message_backlog_count).toBe(0);
}

describe("each call becomes one message", () => {
  const calls = {
    track: { event: "Signed Up", properties: { plan: "pro" } },
    identify: { traits: { email: "ada@example.com" } },
    page: { name: "Home", properties: { path: "/" } },
    screen: { name: "Settings" },
    group: { groupId: "acme", traits: { seats: 5 } },
    alias: { previousId: "anon-9", userId: "user-9" },
  } as const;

  for (const [type, fields] of Object.entries(calls)) {
    for (const path of [type, type[0]!]) {
      it(`POST /v1/${path} answers Segment's 200 {"success":true} and enqueues the ${type} as sent`, async () => {
        const id = messageId();
        const text = JSON.stringify({ userId: "user-9", messageId: id, ...fields, context: { ip: "203.0.113.9" } });
        const res = await track(path, text);
        expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: SUCCESS });
        const [message, ...rest] = await drain("events");
        expect(rest).toEqual([]);
        const raw = rawBody(message!);
        expect(raw.endsWith(`,"data":${text}}`)).toBe(true);
        expect(JSON.parse(raw)).toMatchObject({
          source: "segment",
          delivery_id: id,
          type,
          event: type === "track" ? "Signed Up" : type,
          content_type: "application/json",
        });
      });
    }
  }

  it("a batch is one message per event, in order, each carried byte for byte (big integers, key order, escapes, spacing)", async () => {
    const events = [
      `{"type":"track","event":"A","anonymousId":"a1","messageId":"${messageId()}","properties":{"n":12345678901234567890,"z":1,"a":"\\u00e9"}}`,
      `{ "type" : "identify" , "userId" : 42, "messageId":"${messageId()}", "traits" : { } }`,
      `{"type":"page","anonymousId":"a1","name":null,"messageId":"${messageId()}"}`,
    ];
    const text = `{"sentAt":"2026-01-01T00:00:00.000Z","batch":[ ${events.join(" ,\n ")} ],"context":{"library":{"name":"curl"}}}`;
    const res = await track("batch", text);
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: SUCCESS });
    const raws = (await drain("events")).map(rawBody);
    expect(raws).toHaveLength(3);
    raws.forEach((raw, i) => {
      expect(raw.endsWith(`,"data":${events[i]}}`)).toBe(true);
      // The batch's shared context travels with each event, as sent.
      expect(raw).toContain(`"batch":{"context":{"library":{"name":"curl"}}}`);
    });
    expect(raws.map((raw) => (JSON.parse(raw) as Envelope).event)).toEqual(["A", "identify", "page"]);
  });

  it("analytics.js: JSON sent as text/plain with the write key in the body, no Authorization header", async () => {
    const event = trackEvent({ writeKey: WRITE_KEYS.dev.key, sentAt: new Date().toISOString() });
    const res = await track("t", JSON.stringify(event), { key: null, contentType: "text/plain" });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: SUCCESS });
    const batch = await track(
      "b",
      JSON.stringify({ writeKey: WRITE_KEYS.dev.key, batch: [trackEvent()], sentAt: new Date().toISOString() }),
      {
        key: null,
        contentType: "text/plain",
      },
    );
    expect(batch.status).toBe(200);
    expect((await drain("events")).length).toBe(2);
  });

  it("gzip bodies are inflated (Segment's libraries may compress)", async () => {
    const event = trackEvent();
    const zipped = new Uint8Array(
      await new Response(
        new Blob([JSON.stringify({ batch: [event] })]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const res = await track("batch", zipped, { headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect((await drain("events")).map((m) => (decode(m) as Envelope).delivery_id)).toEqual([event.messageId]);
  });

  it("forwards the User-Agent, never the Authorization header", async () => {
    await track("track", trackEvent(), { headers: { "user-agent": "analytics-node-next/latest" } });
    const [message] = (await drain("events")).map(rawBody);
    expect(JSON.parse(message!).headers).toEqual({ "user-agent": "analytics-node-next/latest" });
    expect(message).not.toContain(btoa(`${WRITE_KEYS.dev.key}:`));
  });

  it("CORS: browsers on any site may post (preflight reflects the headers analytics.js sends)", async () => {
    const preflight = await SELF.fetch(`${GATEWAY}/v1/t`, {
      method: "OPTIONS",
      headers: {
        origin: "https://www.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST,OPTIONS");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    const res = await track("t", trackEvent(), { headers: { origin: "https://www.example.org" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await drain("events");
  });
});

describe("clock-skew correction, as Segment documents it", () => {
  it("timestamp = receivedAt − (sentAt − timestamp); the original values are kept", async () => {
    // The device's clock is a day behind; the event happened 10 s before it was sent.
    const sentAt = "2020-05-01T12:00:10.000Z";
    const timestamp = "2020-05-01T12:00:00.000Z";
    await track("track", trackEvent({ timestamp, sentAt }));
    const message = decode((await drain("events"))[0]!) as Envelope;
    expect(Date.parse(message.received_at) - Date.parse(message.timestamp)).toBe(10_000);
    expect({ original_timestamp: message.original_timestamp, sent_at: message.sent_at }).toEqual({
      original_timestamp: timestamp,
      sent_at: sentAt,
    });
    expect(message.data).toMatchObject({ timestamp, sentAt });
  });

  it("in a batch, the batch's sentAt corrects events that have none of their own", async () => {
    const batch = [
      trackEvent({ timestamp: "2020-05-01T11:59:00.000Z" }),
      trackEvent({ timestamp: "2020-05-01T11:00:00.000+01:00", sentAt: "2020-05-01T10:00:30.000Z" }),
    ];
    await track("batch", { batch, sentAt: "2020-05-01T12:00:00.000Z" });
    const [first, second] = (await drain("events")).map((m) => decode(m) as Envelope);
    expect(Date.parse(first!.received_at) - Date.parse(first!.timestamp)).toBe(60_000);
    expect(first!.sent_at).toBe("2020-05-01T12:00:00.000Z");
    expect(Date.parse(second!.received_at) - Date.parse(second!.timestamp)).toBe(30_000);
    expect(second!.sent_at).toBe("2020-05-01T10:00:30.000Z");
  });

  it("without sentAt the timestamp stands (in UTC); without a timestamp it is the time received", async () => {
    await track("batch", {
      batch: [trackEvent({ timestamp: "2021-03-04T05:06:07.5+02:00" }), trackEvent({ timestamp: undefined })],
    });
    const [given, absent] = (await drain("events")).map((m) => decode(m) as Envelope);
    expect(given).toMatchObject({
      timestamp: "2021-03-04T03:06:07.500Z",
      original_timestamp: "2021-03-04T05:06:07.5+02:00",
      sent_at: null,
    });
    expect(absent).toMatchObject({ original_timestamp: null, sent_at: null });
    expect(absent!.timestamp).toBe(absent!.received_at);
  });
});

describe("authentication: a write key, only for its own source", () => {
  it("no key, an unknown key, a malformed Basic header, or a gateway key: the same 401, nothing enqueued", async () => {
    const event = JSON.stringify(trackEvent());
    const attempts = [
      track("track", event, { key: null }),
      track("track", event, { key: "not-a-write-key" }),
      track("track", event, { key: KEYS.dev.key }), // a secret gateway key is not a write key
      track("track", event, { key: null, headers: { authorization: "Basic %%%" } }),
      track("track", event, { key: null, headers: { authorization: `Bearer ${WRITE_KEYS.dev.key}` } }),
      track("t", JSON.stringify({ ...trackEvent(), writeKey: "not-a-write-key" }), {
        key: null,
        contentType: "text/plain",
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      const body = await expectRefused(res, 401, 10000);
      expect(body.errors).toEqual([{ code: 10000, message: "Unauthorized" }]);
    }
    await nothingEnqueued();
  });

  it("a write key cannot pull, push to a queue, or reach another source", async () => {
    const key = WRITE_KEYS.dev.key;
    expect((await call("/client/v4/accounts/x/queues/events/messages", { body: {} }, { key })).status).toBe(401);
    expect((await call("/client/v4/accounts/x/queues/events/messages/pull", {}, { key })).status).toBe(401);
    expect((await call("/admin/queues", undefined, { key, method: "GET" })).status).toBe(401);
    expect(
      (await ingest("app", '{"event":"x"}', { "content-type": "application/json", authorization: `Bearer ${key}` }))
        .status,
    ).toBe(401);
    expect(
      (await ingest("app", '{"event":"x"}', { "content-type": "application/json", authorization: basicAuth(key) }))
        .status,
    ).toBe(401);
    await nothingEnqueued();
  });

  it("write-key sources are not /ingest sources (404), and each key reaches only its own source", async () => {
    await expectRefused(
      await ingest("segment", JSON.stringify(trackEvent()), {
        "content-type": "application/json",
        authorization: basicAuth(WRITE_KEYS.dev.key),
      }),
      404,
      7003,
    );
    const event = trackEvent();
    expect((await track("track", event, { key: WRITE_KEYS.other.key })).status).toBe(200);
    await nothingEnqueued();
    const [message] = (await drain("forms")).map((m) => decode(m) as Envelope);
    expect(message).toMatchObject({ source: "segment-other", delivery_id: event.messageId });
  });

  it("the header's key wins over the body's", async () => {
    const res = await track("track", { ...trackEvent(), writeKey: WRITE_KEYS.other.key });
    expect(res.status).toBe(200);
    expect((await drain("events")).length).toBe(1);
    expect((await drain("forms")).length).toBe(0);
  });
});

describe("refused: the documented 4xx, and nothing enqueued", () => {
  it.each([
    ["no userId or anonymousId", "track", { event: "x" }, ["userId"]],
    ["a track without event", "track", { userId: "u" }, ["event"]],
    ["an empty event name", "track", { userId: "u", event: "" }, ["event"]],
    ["an alias without previousId", "alias", { userId: "u" }, ["previousId"]],
    ["an alias without userId", "alias", { previousId: "p", anonymousId: "a" }, ["userId"]],
    ["a group without groupId", "group", { userId: "u" }, ["groupId"]],
    ["a type that is not the endpoint's", "track", { type: "identify", userId: "u", event: "x" }, ["type"]],
    ["a timestamp that is not ISO 8601", "page", { userId: "u", timestamp: "yesterday" }, ["timestamp"]],
    ["properties that are not an object", "track", { userId: "u", event: "x", properties: [1] }, ["properties"]],
  ])("%s: 400 with the path", async (_, path, body, where) => {
    const res = await track(path, body);
    const refused = await expectRefused(res, 400, 10422);
    expect(refused.errors.map((e) => (e as { path?: unknown }).path)).toEqual([where]);
    await nothingEnqueued();
  });

  it("errors name the field, never echo what was sent", async () => {
    const res = await track("track", { userId: "u", event: "x", timestamp: "SECRET-LOOKING-VALUE-123" });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("SECRET-LOOKING-VALUE-123");
  });

  it("malformed JSON, a non-object, a repeated key, a batch without events: 400", async () => {
    await expectRefused(await track("track", '{"userId":"u",'), 400, 10208);
    await expectRefused(await track("track", "[1,2]"), 400, 10208);
    await expectRefused(await track("track", '{"userId":"u","event":"a","event":"b"}'), 400, 10208);
    await expectRefused(await track("batch", { batch: [] }), 400, 10422);
    await expectRefused(await track("batch", { events: [trackEvent()] }), 400, 10422);
    await nothingEnqueued();
  });

  it("over Segment's limits: 413 for an event over 32 KB or a batch over 500 KB", async () => {
    const big = trackEvent({ properties: { pad: "x".repeat(33 * 1024) } });
    await expectRefused(await track("track", big), 413, 10413);
    const batch = {
      batch: Array.from({ length: 20 }, () => trackEvent({ properties: { pad: "x".repeat(26 * 1024) } })),
    };
    await expectRefused(await track("batch", batch), 413, 10413);
    await nothingEnqueued();
  });

  it("an inflated body is held to the same cap (a gzip bomb is 413)", async () => {
    const bomb = new Uint8Array(
      await new Response(
        new Blob([new Uint8Array(20_000_000)]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    await expectRefused(await track("batch", bomb, { headers: { "content-encoding": "gzip" } }), 413, 10413);
    await nothingEnqueued();
  });

  it("content types other than JSON or text, and encodings the source does not take: 415", async () => {
    await expectRefused(
      await track("track", JSON.stringify(trackEvent()), { contentType: "application/x-www-form-urlencoded" }),
      415,
      10415,
    );
    await expectRefused(
      await track("track", JSON.stringify(trackEvent()), { contentType: "application/octet-stream" }),
      415,
      10415,
    );
    await expectRefused(await track("track", JSON.stringify(trackEvent()), { contentType: "text/html" }), 415, 10415);
    await expectRefused(
      await track("track", JSON.stringify(trackEvent()), { headers: { "content-encoding": "br" } }),
      415,
      10415,
    );
    // segment-other accepts neither text/plain nor gzip.
    await expectRefused(
      await track("track", JSON.stringify(trackEvent()), { key: WRITE_KEYS.other.key, contentType: "text/plain" }),
      415,
      10415,
    );
    await nothingEnqueued();
  });

  it("other methods: 405", async () => {
    const res = await SELF.fetch(`${GATEWAY}/v1/track`, { method: "GET" });
    await expectRefused(res, 405, 7001);
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("a batch with some invalid events", () => {
  it("enqueues the valid ones and answers 200 with the refused ones' positions and reasons", async () => {
    const good = [trackEvent(), trackEvent()];
    const res = await track("batch", {
      batch: [
        good[0],
        { type: "track", userId: "u" },
        { type: "bogus", userId: "u" },
        good[1],
        { type: "track", event: "big", userId: "u", properties: { pad: "x".repeat(33 * 1024) } },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      rejected: [
        {
          code: 10422,
          message: "batch.1.event: Invalid input: expected string, received undefined",
          path: ["batch", 1, "event"],
        },
        { code: 10422, message: expect.stringMatching(/^batch\.2\.type: /), path: ["batch", 2, "type"] },
        {
          code: 10422,
          message: expect.stringMatching(/^batch\.4: event is \d+ bytes; the limit is 32768$/),
          path: ["batch", 4],
        },
      ],
    });
    expect((await drain("events")).map((m) => (decode(m) as Envelope).delivery_id)).toEqual(
      good.map((e) => e.messageId),
    );
  });

  it("when every event is invalid: 400 listing them all, nothing enqueued", async () => {
    const body = await expectRefused(
      await track("batch", {
        batch: [
          { type: "track", userId: "u" },
          { type: "alias", userId: "u" },
        ],
      }),
      400,
      10422,
    );
    expect(body.errors.map((e) => (e as { path?: unknown }).path)).toEqual([
      ["batch", 0, "event"],
      ["batch", 1, "previousId"],
    ]);
    await nothingEnqueued();
  });
});
