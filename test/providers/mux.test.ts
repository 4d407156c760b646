/**
 * Mux: `mux-signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, within 300 s either way;
 * event id and type from the signed body. The builder below is proved by Mux's own SDK
 * (`webhooks.verifySignature`, WebCrypto, in workerd).
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import Mux from "@mux/mux-node";
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
  nowSeconds,
  ROTATING_SECRETS,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";

/** Mux's header: one `t`, then one `v1` per secret. */
function muxSignature(
  body: string,
  { secrets = [DEV_SECRET], at = nowSeconds() }: { secrets?: string[]; at?: number } = {},
): string {
  return [
    `t=${at}`,
    ...secrets.map((secret) => `v1=${createHmac("sha256", secret).update(`${at}.${body}`).digest("hex")}`),
  ].join(",");
}

const muxEvent = (id: string = crypto.randomUUID(), type = "video.asset.ready") =>
  JSON.stringify({ type, id, object: { type: "asset", id: "asset_1" }, data: { id: "asset_1" } });

const headers = (signature: string) => ({
  "content-type": "application/json",
  "mux-signature": signature,
  "user-agent": "Mux",
  cookie: "a=b",
});
const post = (body: string, signature = muxSignature(body)) => send("mux", { body, headers: headers(signature) });
const postWith = (vars: Record<string, string>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/mux`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { MUX_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) };

resetAfterEach();

describe("Mux", () => {
  it("the builder signs as Mux does: the SDK's webhooks.verifySignature accepts it", async () => {
    const body = muxEvent("3a56ac3d-33da-4366-855b-f592d898409d");
    const mux = new Mux({ tokenId: "unused", tokenSecret: "unused", webhookSecret: DEV_SECRET });
    await expect(mux.webhooks.verifySignature(body, { "mux-signature": muxSignature(body) })).resolves.toBeUndefined();
    await expect(mux.webhooks.verifySignature(`${body} `, { "mux-signature": muxSignature(body) })).rejects.toThrow();
    expect(
      muxSignature('{"type":"video.asset.ready","id":"3a56ac3d-33da-4366-855b-f592d898409d","data":{"id":"asset_1"}}', {
        at: 1735689600,
      }),
    ).toBe("t=1735689600,v1=2e253e4e5496dc9f5404e8c16564fe93b38aa1c46672fcd79f62277cce55166f");
  });

  it("accepts a signed event: type and id from the body, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(muxEvent("evt-1", "video.asset.created")));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "mux", event: "video.asset.created", delivery_id: "evt-1" });
    expect(message!.headers).toEqual({ "user-agent": "Mux" });
  });

  const body = muxEvent("evt-refused");
  it.each<[string, () => [string, string]]>([
    ["a tampered body", () => [`${body} `, muxSignature(body)]],
    ["a wrong key", () => [body, muxSignature(body, { secrets: ["wrong"] })]],
    ["a stale timestamp", () => [body, muxSignature(body, { at: nowSeconds() - STALE_SECONDS })]],
    [
      "a future timestamp (Mux's SDK would accept it)",
      () => [body, muxSignature(body, { at: nowSeconds() + STALE_SECONDS })],
    ],
    ["no signature", () => [body, ""]],
    ["no v1", () => [body, `t=${nowSeconds()}`]],
    ["no t", () => [body, muxSignature(body).replace(/^t=\d+,/, "")]],
    ["a malformed header", () => [body, `t=now,v1=${"z".repeat(64)}`]],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("any v1 may match, and a rotated secret list accepts both secrets", async () => {
    const first = muxEvent();
    await expectAccepted(await post(first, muxSignature(first, { secrets: ["retired-secret", DEV_SECRET] })));
    await expectRotation((secret) => {
      const rotated = muxEvent();
      return postWith(ROTATING, rotated, muxSignature(rotated, { secrets: [secret] }));
    });
    expect((await delivered()).length).toBe(3);
  });

  it("a repeat of an event id is answered as a duplicate and enqueued once", async () => {
    const repeated = muxEvent("evt-dup");
    await expectDuplicate(post(repeated), () => post(repeated));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("mux")).toContain("`mux-signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`");
  });
});
