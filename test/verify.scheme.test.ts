/**
 * The declarative HMAC scheme behind the presets and the generic `hmac` source, exercised as
 * AWS EventBridge's WebhookHmacAuthConfiguration is: every shape of signature header, timestamp
 * and signed template that the catalogue's senders use, signed independently with node:crypto.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SignatureScheme, type SignatureSchemeInput, verifyScheme } from "../src/verify/scheme";

const NOW = 1_750_000_000;
const SECRET = "s3cret";
const body = '{"id":"evt_1","amount":12345678901234567890}';

function check(
  input: SignatureSchemeInput,
  headers: Record<string, string>,
  options: { secrets?: string[]; now?: number; text?: string; url?: string; method?: string } = {},
) {
  return verifyScheme(SignatureScheme.parse(input), options.secrets ?? [SECRET], {
    body: new TextEncoder().encode(options.text ?? body),
    headers: new Headers(headers),
    method: options.method ?? "POST",
    url: new URL(options.url ?? "https://hooks.example.com/ingest/x?a=1"),
    nowSeconds: options.now ?? NOW,
  });
}
const reason = async (pending: ReturnType<typeof check>) => {
  const r = await pending;
  return r.ok ? "ok" : r.reason === "unauthorized" ? r.why : r.reason;
};
const mac = (algorithm: string, data: string, key: string | Buffer = SECRET, encoding: "hex" | "base64" = "hex") =>
  createHmac(algorithm, key).update(data).digest(encoding);

describe("signature headers", () => {
  it("a prefixed hex signature over the body (GitHub, Bitbucket, Meta)", async () => {
    const scheme = { header: "X-Sig", prefix: "sha256=" };
    expect(await reason(check(scheme, { "x-sig": `sha256=${mac("sha256", body)}` }))).toBe("ok");
    expect(await reason(check(scheme, { "x-sig": mac("sha256", body) }))).toBe("malformed_signature");
    expect(await reason(check(scheme, {}))).toBe("missing_signature");
    expect(await reason(check(scheme, { "x-sig": `sha256=${mac("sha256", `${body} `)}` }))).toBe("signature_mismatch");
  });

  it("base64, SHA-1 and SHA-512, each checked against its digest length", async () => {
    expect(await reason(check({ header: "x", encoding: "base64" }, { x: mac("sha256", body, SECRET, "base64") }))).toBe(
      "ok",
    );
    expect(await reason(check({ header: "x", algorithm: "sha1" }, { x: mac("sha1", body) }))).toBe("ok");
    expect(
      await reason(
        check({ header: "x", algorithm: "sha512", encoding: "base64" }, { x: mac("sha512", body, SECRET, "base64") }),
      ),
    ).toBe("ok");
    expect(await reason(check({ header: "x", algorithm: "sha1" }, { x: mac("sha256", body) }))).toBe(
      "malformed_signature",
    );
  });

  it("lists of entries with a timestamp entry (Stripe t=,v1=; Paddle ts=;h1=); other versions are ignored", async () => {
    const stripe = {
      header: "sig",
      separator: ",",
      entry: "v1=",
      timestamp_entry: "t=",
      template: "{timestamp}.{body}",
    };
    const v1 = mac("sha256", `${NOW}.${body}`);
    expect(await reason(check(stripe, { sig: `t=${NOW},v0=${"0".repeat(64)},v1=${"1".repeat(64)},v1=${v1}` }))).toBe(
      "ok",
    );
    expect(await reason(check(stripe, { sig: `v1=${v1}` }))).toBe("missing_timestamp");
    const paddle = {
      header: "paddle-signature",
      separator: ";",
      entry: "h1=",
      timestamp_entry: "ts=",
      template: "{timestamp}:{body}",
    };
    expect(await reason(check(paddle, { "paddle-signature": `ts=${NOW};h1=${mac("sha256", `${NOW}:${body}`)}` }))).toBe(
      "ok",
    );
  });

  it("space-separated `v1,<base64>` entries keyed by a base64 secret with its prefix (Standard Webhooks)", async () => {
    const key = Buffer.from("0123456789abcdef0123456789abcdef");
    const scheme = {
      header: "webhook-signature",
      encoding: "base64",
      separator: " ",
      entry: "v1,",
      timestamp_header: "webhook-timestamp",
      template: "{header:webhook-id}.{timestamp}.{body}",
      secret_encoding: "base64",
      secret_prefix: "whsec_",
    } as const;
    const signature = mac("sha256", `msg_1.${NOW}.${body}`, key, "base64");
    const headers = {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(NOW),
      "webhook-signature": `v1a,xyz v1,${signature}`,
    };
    expect(await reason(check(scheme, headers, { secrets: [`whsec_${key.toString("base64")}`] }))).toBe("ok");
    expect(
      await reason(
        check(scheme, { ...headers, "webhook-id": "msg_2" }, { secrets: [`whsec_${key.toString("base64")}`] }),
      ),
    ).toBe("signature_mismatch");
    expect(await reason(check(scheme, headers, { secrets: ["whsec_"] }))).toBe("no_secret_configured");
  });

  it("more than five distinct entries, or a header over 1 KB, are refused before any HMAC", async () => {
    const list = { header: "sig", separator: ",", entry: "v1=" };
    const valid = mac("sha256", body);
    const junk = Array.from({ length: 5 }, (_, i) => `v1=${String(i).repeat(64)}`);
    expect(await reason(check(list, { sig: [`v1=${valid}`, ...junk].join(",") }))).toBe("too_many_signatures");
    expect(await reason(check(list, { sig: [`v1=${valid}`, `v1=${valid}`, ...junk.slice(1)].join(",") }))).toBe("ok");
    expect(await reason(check(list, { sig: `v1=${valid},${"x".repeat(1024)}` }))).toBe("signature_header_too_long");
  });
});

describe("timestamps", () => {
  const at = (format: "unix" | "unix_ms" | "iso8601") => ({
    header: "sig",
    timestamp_header: "ts",
    timestamp_format: format,
    template: "{timestamp}{body}",
  });
  const signed = (ts: string) => ({ ts, sig: mac("sha256", `${ts}${body}`) });

  it("unix seconds, milliseconds (HubSpot) and RFC 3339 (Twitch), each within the tolerance both ways", async () => {
    expect(await reason(check(at("unix"), signed(String(NOW))))).toBe("ok");
    expect(await reason(check(at("unix_ms"), signed(String(NOW * 1000 + 999))))).toBe("ok");
    expect(await reason(check(at("iso8601"), signed(new Date(NOW * 1000).toISOString())))).toBe("ok");
    expect(await reason(check(at("iso8601"), signed("2025-06-15T15:06:40.123456789Z")))).not.toBe(
      "malformed_signature",
    );
    for (const format of ["unix", "unix_ms", "iso8601"] as const) {
      const ts = (s: number) =>
        format === "unix" ? String(s) : format === "unix_ms" ? String(s * 1000) : new Date(s * 1000).toISOString();
      expect(await reason(check(at(format), signed(ts(NOW - 301))))).toBe("timestamp_too_old");
      expect(await reason(check(at(format), signed(ts(NOW + 301))))).toBe("timestamp_in_future");
    }
  });

  it("a configured tolerance, missing and malformed timestamps", async () => {
    const tight = { ...at("unix"), tolerance_seconds: 5 };
    expect(await reason(check(tight, signed(String(NOW - 6))))).toBe("timestamp_too_old");
    expect(await reason(check(tight, signed(String(NOW - 5))))).toBe("ok");
    expect(await reason(check(at("unix"), { sig: mac("sha256", body) }))).toBe("missing_timestamp");
    expect(await reason(check(at("unix"), signed("12.5")))).toBe("malformed_signature");
    expect(await reason(check(at("iso8601"), signed("yesterday")))).toBe("malformed_signature");
  });
});

describe("templates", () => {
  it("method, public URL, body and timestamp (HubSpot v3's order)", async () => {
    const scheme = {
      header: "sig",
      encoding: "base64",
      timestamp_header: "ts",
      timestamp_format: "unix_ms",
      template: "{method}{url}{body}{timestamp}",
    } as const;
    const ts = String(NOW * 1000);
    const url = "https://hooks.example.com/ingest/x?a=1";
    const headers = { ts, sig: mac("sha256", `POST${url}${body}${ts}`, SECRET, "base64") };
    expect(await reason(check(scheme, headers))).toBe("ok");
    expect(await reason(check(scheme, headers, { url: "https://other.example.com/ingest/x?a=1" }))).toBe(
      "signature_mismatch",
    );
    expect(await reason(check(scheme, headers, { method: "PUT" }))).toBe("signature_mismatch");
  });

  it("headers by name, a body in the middle, and rotation (any configured secret)", async () => {
    const scheme = { header: "sig", template: "{header:x-id}:{body}:end" };
    const headers = { "x-id": "42", sig: mac("sha256", `42:${body}:end`) };
    expect(await reason(check(scheme, headers, { secrets: ["old", SECRET] }))).toBe("ok");
    expect(await reason(check(scheme, headers, { secrets: ["old", "older"] }))).toBe("signature_mismatch");
    expect(await reason(check(scheme, { ...headers, "x-id": "43" }))).toBe("signature_mismatch");
  });

  it("values filled in are never read again as placeholders (a URL's query may hold `{header:x}`)", async () => {
    const scheme = { header: "sig", template: "{url}{body}" };
    const url = "https://hooks.example.com/ingest/x?q={header:sig}";
    const headers = { sig: mac("sha256", `${new URL(url).href}${body}`) };
    expect(await reason(check(scheme, headers, { url }))).toBe("ok");
  });

  it("a template must contain {body}", () => {
    expect(SignatureScheme.safeParse({ header: "x", template: "{timestamp}" }).success).toBe(false);
  });
});
