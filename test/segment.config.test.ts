/**
 * Write keys in the configuration (validated at load, failing closed with the field named), and
 * the small pieces of the tracking API on their own: the Basic header, the batch member
 * extraction that keeps events byte for byte, and the clock-skew arithmetic.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { basicWriteKey } from "../src/auth/write-keys";
import { gatewayConfig } from "../src/config/gateway";
import { ConfigError, loadConfig, parseConfig } from "../src/config/load";
import { memberText } from "../src/segment/json-text";
import { correctedTimestamp, eventFingerprint } from "../src/segment/normalize";

const HASH = "a".repeat(64);
const DEV_KEY_HASH = "ed5a18fb8f807f996d649e379d3f35f39c543a91bdbf88c492f2ebd10d4df86c"; // local-dev-key, a gateway key

function configError(vars: Record<string, unknown>): string {
  try {
    parseConfig(gatewayConfig({ ...env, ...vars } as Env));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
}

const writeKeys = (...keys: object[]) => ({ WRITE_KEYS: JSON.stringify(keys) });

describe("write keys in the configuration", () => {
  it("the development write key names the segment source, which feeds events", () => {
    const config = loadConfig(env);
    expect(config.write_keys.find((k) => k.name === "local-dev-write")).toEqual({
      name: "local-dev-write",
      sha256: "f917256cde4c3ef9c4ac9b30c8fb1b17d1f7bb0f17d5619c9df0faab85ad3682",
      source: "segment",
    });
    expect(config.sources.segment).toMatchObject({
      queue: "events",
      auth: { kind: "write_key" },
      content_encodings: ["gzip"],
      cors: { origins: ["*"] },
    });
  });

  it.each([
    [writeKeys({ name: "k", sha256: HASH, source: "ghost" }), 'write_keys.0.source: no source named "ghost"'],
    [
      writeKeys({ name: "k", sha256: HASH, source: "app" }),
      'write_keys.0.source: source "app" is not a write_key source',
    ],
    [
      writeKeys({ name: "k", sha256: DEV_KEY_HASH, source: "segment" }),
      "write_keys.0.sha256: the same key is also a gateway key",
    ],
    [
      writeKeys(
        { name: "k", sha256: HASH, source: "segment" },
        { name: "k", sha256: "b".repeat(64), source: "segment" },
      ),
      "write_keys.1.name: write key names must be unique",
    ],
    [
      writeKeys({ name: "k", sha256: "ABC", source: "segment" }),
      "write_keys.0.sha256: sha256 must be 64 lowercase hex digits",
    ],
    [{ WRITE_KEYS: "{nope" }, "WRITE_KEYS: not valid JSON"],
    [
      { SOURCES: { segment: { rate_limit: { binding: "TRACK_RATE_LIMIT", by: "key" } } } },
      "sources.segment.rate_limit.by: write keys are public",
    ],
    [
      { SOURCES: { app: { rate_limit: { binding: "APP_RATE_LIMIT", user_binding: "TRACK_USER_RATE_LIMIT" } } } },
      "sources.app.rate_limit.user_binding: only write_key sources",
    ],
    [{ SOURCES: { segment: { format: "raw" } } }, "sources.segment.format: a write_key source sends envelopes"],
    [
      { SOURCES: { segment: { response: { body: "ok" } } } },
      "sources.segment.response: does not apply to a write_key source",
    ],
  ])("fails closed, naming the field: %j", (vars, expected) => {
    const message = configError({ ...writeKeys(), ...vars });
    expect(message).toContain(expected);
    expect(message).not.toContain(DEV_KEY_HASH);
  });
});

describe("Authorization: Basic base64(writeKey:)", () => {
  it.each([
    [null, null],
    [`Basic ${btoa("wk_123:")}`, "wk_123"],
    [`basic ${btoa("wk_123:ignored")}`, "wk_123"],
    [`Basic ${btoa(":")}`, undefined],
    ["Basic !!!", undefined],
    ["Bearer wk_123", undefined],
    [`Basic ${btoa("\xff\xfe:")}`, undefined], // not UTF-8
  ])("%s → %s", (header, key) => {
    expect(basicWriteKey(header)).toBe(key);
  });
});

describe("a batch's members, as sent", () => {
  it("finds a top-level member's exact text, whatever the spacing, escapes and nesting before it", () => {
    const text = `{"context":{"batch":[0]},"s":"\\"batch\\": [1]" , "b\\u0061tch" :  [ {"a" : 1}, "x,}" ] , "sentAt":"t"}`;
    expect(memberText(text, "batch")).toBe(`[ {"a" : 1}, "x,}" ]`);
    expect(memberText(text, "sentAt")).toBe(`"t"`);
    expect(memberText(text, "context")).toBe(`{"batch":[0]}`);
    expect(memberText(text, "missing")).toBeUndefined();
  });
});

describe("clock skew", () => {
  const received = Date.parse("2026-06-01T12:00:00.000Z");
  it.each([
    ["2026-05-31T11:59:50.000Z", "2026-05-31T12:00:00.000Z", "2026-06-01T11:59:50.000Z"],
    ["2026-06-02T12:00:00.000Z", "2026-06-02T12:00:00.000Z", "2026-06-01T12:00:00.000Z"],
    ["2026-06-01T13:59:59.250+02:00", null, "2026-06-01T11:59:59.250Z"],
    [null, "2026-06-01T12:00:00.000Z", "2026-06-01T12:00:00.000Z"],
  ])("timestamp %s, sentAt %s → %s", (timestamp, sentAt, expected) => {
    expect(correctedTimestamp(received, timestamp, sentAt)).toBe(expected);
  });
});

describe("what a repeat must keep to be a duplicate", () => {
  it("ignores transport fields only", () => {
    const event = { type: "track", event: "A", messageId: "m", properties: { n: 1 } };
    const base = eventFingerprint(event);
    expect(eventFingerprint({ ...event, sentAt: "x", writeKey: "y", _metadata: { retryCount: 3 } })).toBe(base);
    expect(eventFingerprint({ ...event, properties: { n: 2 } })).not.toBe(base);
  });
});
