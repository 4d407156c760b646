/**
 * Body formats, batches, compression, limits and validation through `POST /ingest/:source`:
 * what reaches the queue (pulled back and compared), and what is refused with which status.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { advanceQueueTime, decode, drain, envelope, pull } from "./support/api";
import { KEYS } from "./support/constants";
import { injectFaults } from "./support/peer";
import { appRequest, ingest, signedGitHubRequest } from "./support/signing";

afterEach(() => reset());

const rawBody = (m: { body: string }) =>
  new TextDecoder().decode(Uint8Array.from(atob(m.body), (c) => c.charCodeAt(0)));

async function compress(text: string | Uint8Array, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const input = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return new Uint8Array(
    await new Response(new Blob([input]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer(),
  );
}

async function expectRefused(res: Response, status: number, code: number) {
  const body = await envelope(res);
  expect({ status: res.status, success: body.success, code: body.errors[0]?.code }).toEqual({
    status,
    success: false,
    code,
  });
  return body;
}

describe("app events (key auth, JSON and NDJSON batches, schema)", () => {
  it("a single event becomes one envelope message with its event name", async () => {
    const res = await appRequest('{"event":"signup","user_id":42,"properties":{"plan":"pro"}}');
    expect(res.status).toBe(202);
    const { result } = await envelope<{ ids: string[] }>(res);
    const [message] = (await drain("events")).map(decode);
    expect(message).toMatchObject({
      id: result.ids[0],
      source: "app",
      event: "signup",
      data: { event: "signup", user_id: 42, properties: { plan: "pro" } },
    });
  });

  it("a JSON array is a batch: one message per element, per-item results, elements carried as sent", async () => {
    const elements = [
      '{"event":"a","properties":{"n":12345678901234567890}}',
      '{ "event" : "b" }',
      '{"event":"c","properties":{"z":1,"a":"\\u00e9"}}',
    ];
    const res = await appRequest(`[${elements.join(",\n ")}]`, { "idempotency-key": "batch-1" });
    expect(res.status).toBe(202);
    const { result } = await envelope<{ ids: string[]; items: { index: number; id: string }[] }>(res);
    expect(result.items).toEqual(result.ids.map((id, index) => ({ index, id })));
    const texts = (await drain("events")).map(rawBody);
    expect(texts).toHaveLength(3);
    texts.forEach((text, i) => {
      expect(text.endsWith(`"data":${elements[i]}}`)).toBe(true);
      expect(JSON.parse(text)).toMatchObject({ id: result.ids[i], delivery_id: "batch-1", event: ["a", "b", "c"][i] });
    });
  });

  it("NDJSON is a batch too", async () => {
    const res = await appRequest('{"event":"one"}\n\n{"event":"two"}\n', { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(202);
    expect((await drain("events")).map((m) => (decode(m) as { event: string }).event)).toEqual(["one", "two"]);
  });

  it("validation failures answer 422 with every {path, message}, and a batch is all or nothing", async () => {
    const res = await appRequest('[{"event":"ok"},{"properties":{}},{"event":"x","timestamp":"yesterday"}]');
    const body = await expectRefused(res, 422, 10422);
    expect(body.errors.map((e) => (e as { path?: unknown }).path)).toEqual([
      [1, "event"],
      [2, "timestamp"],
    ]);
    expect(body.errors.every((e) => typeof e.message === "string" && e.message.length > 0)).toBe(true);
    expect((await pull("events", {})).message_backlog_count).toBe(0);
  });

  it("a batch with the same Idempotency-Key is enqueued once", async () => {
    const first = await appRequest('[{"event":"a"},{"event":"b"}]', { "idempotency-key": "k-7" });
    const again = await appRequest('[{"event":"a"},{"event":"b"}]', { "idempotency-key": "k-7" });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect((await envelope<{ ids: string[]; duplicate: boolean }>(again)).result).toEqual({
      ids: (await envelope<{ ids: string[] }>(first)).result.ids,
      duplicate: true,
    });
    expect((await drain("events")).length).toBe(2);
  });

  it("key auth: missing, unknown or push-less keys are 401", async () => {
    for (const key of ["", "nope", KEYS.pullOnly.key]) {
      expect(
        (
          await ingest("app", '{"event":"x"}', {
            "content-type": "application/json",
            ...(key && { authorization: `Bearer ${key}` }),
          })
        ).status,
      ).toBe(401);
    }
    expect((await appRequest('{"event":"x"}', {}, KEYS.eventsOnly.key)).status).toBe(202);
  });

  it("rate limits per key with 429 and Retry-After", async () => {
    const send = () =>
      ingest("limited", '{"event":"x"}', {
        "content-type": "application/json",
        authorization: `Bearer ${KEYS.pushOnly.key}`,
      });
    expect([(await send()).status, (await send()).status]).toEqual([202, 202]);
    const limited = await send();
    expect(limited.headers.get("retry-after")).toBe("60");
    await expectRefused(limited, 429, 10429);
    expect((await drain("events")).length).toBe(2);
  });
});

describe("compression", () => {
  it("gzip and deflate bodies are inflated before verification and parsing", async () => {
    for (const format of ["gzip", "deflate"] as const) {
      const res = await appRequest((await compress('{"event":"zipped"}', format)) as unknown as string, {
        "content-encoding": format,
      });
      expect(res.status).toBe(202);
    }
    expect((await drain("events")).map((m) => (decode(m) as { event: string }).event)).toEqual(["zipped", "zipped"]);
  });

  it("a decompression bomb is 413 without being inflated whole", async () => {
    const bomb = await compress(new Uint8Array(50_000_000), "gzip");
    expect(bomb.byteLength).toBeLessThan(100_000);
    await expectRefused(await appRequest(bomb as unknown as string, { "content-encoding": "gzip" }), 413, 10413);
    expect((await pull("events", {})).message_backlog_count).toBe(0);
  });

  it("inherited property names are not encodings (found by the resilience suite)", async () => {
    for (const encoding of ["__proto__", "constructor", "toString"]) {
      await expectRefused(await appRequest('{"event":"x"}', { "content-encoding": encoding }), 415, 10415);
    }
  });

  it("a body that is not what its Content-Encoding says is 400; unknown encodings 415", async () => {
    await expectRefused(await appRequest('{"event":"x"}', { "content-encoding": "gzip" }), 400, 10208);
    await expectRefused(await appRequest('{"event":"x"}', { "content-encoding": "br" }), 415, 10415);
  });
});

describe("content types and limits", () => {
  it("a wrong or missing content type is 415", async () => {
    await expectRefused(await appRequest('{"event":"x"}', { "content-type": "text/plain" }), 415, 10415);
    await expectRefused(await ingest("app", '{"event":"x"}', { authorization: "Bearer local-dev-key" }), 415, 10415);
    await expectRefused(
      await ingest("tiny", "a=1", { "content-type": "application/x-www-form-urlencoded" }),
      415,
      10415,
    );
  });

  it("vendor +json types are JSON", async () => {
    expect((await ingest("tiny", '{"v":1}', { "content-type": "application/vnd.example+json" })).status).toBe(202);
  });

  it("a body over the source's cap is 413, with or without Content-Length", async () => {
    await expectRefused(
      await ingest("tiny", JSON.stringify({ pad: "x".repeat(3000) }), { "content-type": "application/json" }),
      413,
      10413,
    );
    const stream = new Blob([JSON.stringify({ pad: "x".repeat(3000) })]).stream();
    await expectRefused(await ingest("tiny", stream, { "content-type": "application/json" }), 413, 10413);
    expect((await pull("webhooks", {})).message_backlog_count).toBe(0);
  });

  it("a message over 128 KB after normalization is 413 / 10204; a batch over 256,000 bytes 10205", async () => {
    const big = (n: number) => JSON.stringify({ event: "big", properties: { pad: "x".repeat(n) } });
    await expectRefused(await appRequest(big(128_000)), 413, 10204);
    await expectRefused(await appRequest(`[${big(90_000)},${big(90_000)},${big(90_000)}]`), 413, 10205);
    expect((await pull("events", {})).message_backlog_count).toBe(0);
  });

  it("malformed JSON and invalid UTF-8 are 400 / 10208", async () => {
    await expectRefused(await appRequest('{"event":'), 400, 10208);
    await expectRefused(
      await appRequest('{"event":"a"}\n{oops', { "content-type": "application/x-ndjson" }),
      400,
      10208,
    );
    await expectRefused(
      await ingest("tiny", new Uint8Array([0x22, 0xff, 0x22]), { "content-type": "application/json" }),
      400,
      10208,
    );
  });

  it("an unknown source is 404", async () => {
    await expectRefused(await ingest("nope", "{}", { "content-type": "application/json" }), 404, 7003);
  });
});

describe("raw format", () => {
  it("JSON payloads become json messages as sent, text stays text, forms become json; the source delay holds", async () => {
    const json = '{"b":1,"a":[18446744073709551615,"é"]}';
    expect((await ingest("raw", json, { "content-type": "application/json" })).status).toBe(202);
    expect((await ingest("raw", "just text", { "content-type": "text/plain" })).status).toBe(202);
    expect((await ingest("raw", "x=1&x=2&y=3", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(
      202,
    );
    expect((await pull("events", {})).messages).toEqual([]); // delay_seconds: 1
    await advanceQueueTime("events", 1100);
    const messages = await drain("events");
    expect(messages.map((m) => m.metadata["CF-Content-Type"])).toEqual(["json", "text", "json"]);
    expect(rawBody(messages[0]!)).toBe(json);
    expect(messages[1]!.body).toBe("just text");
    expect(decode(messages[2]!)).toEqual({ x: ["1", "2"], y: "3" });
  });
});

describe("when the queue is unavailable", () => {
  it("answers 503 with Retry-After, enqueues nothing, and the sender's retry goes through", async () => {
    await injectFaults();
    await drain("remote");
    await injectFaults([{ status: 500 }]);
    const failed = await signedGitHubRequest({ source: "remote", headers: { "x-github-delivery": "retry-me" } });
    expect(failed.headers.get("retry-after")).toBe("5");
    await expectRefused(failed, 503, 10503);
    const retried = await signedGitHubRequest({ source: "remote", headers: { "x-github-delivery": "retry-me" } });
    expect(retried.status).toBe(202);
    expect((await drain("remote")).map((m) => (decode(m) as { delivery_id: string }).delivery_id)).toEqual([
      "retry-me",
    ]);
  });
});

describe("nothing a client sent is echoed in errors", () => {
  it("malformed JSON and odd encodings are described without quoting the input", async () => {
    const secretish = "Bearer sk_live_not_for_echo";
    const json = await ingest("tiny", secretish, { "content-type": "application/json" });
    expect(json.status).toBe(400);
    const text = await json.text();
    expect(text).not.toContain("sk_live");
    expect(JSON.parse(text).errors[0].message).toMatch(/^Body is not valid JSON/);
    const encoding = await ingest("tiny", "{}", { "content-type": "application/json", "content-encoding": secretish });
    expect(encoding.status).toBe(415);
    expect(await encoding.text()).not.toContain("sk_live");
  });
});
