/**
 * Bitbucket Cloud: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`; event key and request
 * UUID are unsigned headers, so repeats are recognised by the signed body. The builder below
 * reproduces the published example (secret "It's a Secret to Everybody", body "Hello World!").
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

const bitbucketSignature = (body: string, secret = DEV_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const pushEvent = () =>
  JSON.stringify({
    push: { changes: [{ new: { name: "main" } }] },
    repository: { full_name: "team/repo", uuid: `{${crypto.randomUUID()}}` },
  });

const headers = (signature: string, request = crypto.randomUUID()) => ({
  "content-type": "application/json",
  "x-hub-signature": signature,
  "x-event-key": "repo:push",
  "x-request-uuid": request,
  "x-hook-uuid": "hook-1",
  "x-attempt-number": "1",
  "user-agent": "Bitbucket-Webhooks/2.0",
  cookie: "a=b",
});
const post = (body: string, signature = bitbucketSignature(body), request?: string) =>
  send("bitbucket", { body, headers: headers(signature, request) });
const postWith = (vars: Record<string, string>, body: string, signature: string) =>
  app.request(`${GATEWAY}/ingest/bitbucket`, { method: "POST", body, headers: headers(signature) }, {
    ...env,
    ...vars,
  } as Env);
const ROTATING = { BITBUCKET_WEBHOOK_SECRET: JSON.stringify(ROTATING_SECRETS) };

resetAfterEach();

describe("Bitbucket Cloud", () => {
  it("the builder reproduces the published example", () => {
    expect(bitbucketSignature("Hello World!", "It's a Secret to Everybody")).toBe(
      "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",
    );
  });

  it("accepts a signed event: X-Event-Key as event, X-Request-UUID as delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(pushEvent(), undefined, "r-1"));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: "bitbucket", event: "repo:push", delivery_id: "r-1" });
    expect(message!.headers).toEqual({
      "x-event-key": "repo:push",
      "x-request-uuid": "r-1",
      "x-hook-uuid": "hook-1",
      "x-attempt-number": "1",
      "user-agent": "Bitbucket-Webhooks/2.0",
    });
  });

  const body = pushEvent();
  it.each<[string, string, string]>([
    ["a tampered body", `${body} `, bitbucketSignature(body)],
    ["a wrong key", body, bitbucketSignature(body, "wrong")],
    ["no signature", body, ""],
    ["a signature without its sha256= prefix", body, bitbucketSignature(body).slice("sha256=".length)],
    ["a malformed signature", body, `sha256=${"z".repeat(64)}`],
    ["a SHA-1 signature", body, `sha1=${createHmac("sha1", DEV_SECRET).update(body).digest("hex")}`],
  ])("refuses %s with the generic 401", async (_case, sent, signature) => {
    await expectUnauthorized(await post(sent, signature));
    expect(await delivered()).toEqual([]);
  });

  it("a rotated secret list accepts both secrets", async () => {
    await expectRotation((secret) => {
      const rotated = pushEvent();
      return postWith(ROTATING, rotated, bitbucketSignature(rotated, secret));
    });
    expect((await delivered()).length).toBe(2);
  });

  it("a repeat of a signed body is a duplicate, whatever its (unsigned) X-Request-UUID says", async () => {
    const repeated = pushEvent();
    await expectDuplicate(post(repeated, undefined, "r-first"), () => post(repeated, undefined, "r-replayed"));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("bitbucket")).toContain("`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`");
  });
});
