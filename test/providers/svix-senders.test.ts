/**
 * Senders delivered by Svix (Clerk, Resend): `svix-id`, `svix-timestamp`, `svix-signature:
 * v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` keyed with the decoded `whsec_` secret, within
 * 300 s either way; Standard Webhooks' verifier under each sender's own kind. The builder below
 * is proved by svix's `Webhook.sign` (in workerd) and reproduces Svix's published example.
 */
import { env, SELF } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import {
  delivered,
  expectAccepted,
  expectDuplicate,
  expectUnauthorized,
  GATEWAY,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";

/** CLERK_WEBHOOK_SECRET and RESEND_WEBHOOK_SECRET in .dev.vars.example: whsec_ + base64("local-dev-secret"). */
const SECRET = "whsec_bG9jYWwtZGV2LXNlY3JldA==";

interface Signing {
  secrets?: string[];
  id?: string;
  at?: number;
}
/** Svix's headers: one `v1,` entry per secret, space-separated. */
function svixHeaders(
  body: string,
  { secrets = [SECRET], id = `msg_${crypto.randomUUID()}`, at = nowSeconds() }: Signing = {},
): Record<string, string> {
  const sign = (secret: string) =>
    createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
      .update(`${id}.${at}.${body}`)
      .digest("base64");
  return {
    "svix-id": id,
    "svix-timestamp": String(at),
    "svix-signature": secrets.map((secret) => `v1,${sign(secret)}`).join(" "),
  };
}

/** Each sender's own event shape: a type, and data with a non-ASCII value to find again. */
const SENDERS = [
  {
    kind: "clerk",
    secretVar: "CLERK_WEBHOOK_SECRET",
    event: (type = "user.created") =>
      JSON.stringify({
        type,
        object: "event",
        data: { id: `user_${crypto.randomUUID()}`, first_name: "Zoë" },
        timestamp: Date.now(),
      }),
    other: "session.created",
    data: { data: { first_name: "Zoë" } },
  },
  {
    kind: "resend",
    secretVar: "RESEND_WEBHOOK_SECRET",
    event: (type = "email.sent") =>
      JSON.stringify({
        type,
        created_at: new Date().toISOString(),
        data: { email_id: crypto.randomUUID(), subject: "Zoë" },
      }),
    other: "email.delivered",
    data: { data: { subject: "Zoë" } },
  },
];

type OpenApi = { paths: Record<string, { post?: { description?: string } }> };

resetAfterEach();

describe.each(SENDERS)("$kind (Svix)", ({ kind, secretVar, event: senderEvent, other, data }) => {
  const post = (body: string, headers: Record<string, string> = svixHeaders(body)) =>
    send(kind, {
      body,
      headers: { "content-type": "application/json", "user-agent": "Svix-Webhooks/1.0", cookie: "a=b", ...headers },
    });
  const rotating = JSON.stringify(["whsec_b2xkLXNlY3JldA==", SECRET]);
  const postRotating = (body: string, headers: Record<string, string>) =>
    app.request(
      `${GATEWAY}/ingest/${kind}`,
      { method: "POST", body, headers: { "content-type": "application/json", ...headers } },
      {
        ...env,
        [secretVar]: rotating,
      } as Env,
    );

  it("the builder signs as Svix does: svix's Webhook.sign agrees, and Svix's published example is reproduced", () => {
    const body = senderEvent();
    const headers = svixHeaders(body, { id: "msg_2abcLocalDev", at: 1735689600 });
    expect(new Webhook(SECRET).sign("msg_2abcLocalDev", new Date(1735689600 * 1000), body)).toBe(
      headers["svix-signature"],
    );
    const published = svixHeaders('{"test": 2432232314}', {
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      at: 1614265330,
    });
    expect(published["svix-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("accepts a signed event: the body's type as event, the signed svix-id as delivery id, allowlisted headers only", async () => {
    const body = senderEvent(other);
    const headers = svixHeaders(body, { id: "msg_1" });
    const [id] = await expectAccepted(await post(body, headers));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, source: kind, event: other, delivery_id: "msg_1", data });
    expect(message!.headers).toEqual({ "svix-id": "msg_1", "svix-timestamp": headers["svix-timestamp"] });
  });

  const body = senderEvent();
  it.each<[string, () => [string, Record<string, string>]]>([
    ["a tampered body", () => [`${body} `, svixHeaders(body)]],
    ["a wrong key", () => [body, svixHeaders(body, { secrets: ["whsec_d3Jvbmc="] })]],
    ["a stale timestamp", () => [body, svixHeaders(body, { at: nowSeconds() - STALE_SECONDS })]],
    ["a future timestamp", () => [body, svixHeaders(body, { at: nowSeconds() + STALE_SECONDS })]],
    ["no signature", () => [body, { ...svixHeaders(body), "svix-signature": "" }]],
    ["no svix-id", () => [body, { ...svixHeaders(body), "svix-id": "" }]],
    ["another svix-id than the one signed", () => [body, { ...svixHeaders(body), "svix-id": "msg_other" }]],
    ["an id containing a dot", () => [body, svixHeaders(body, { id: "msg.1" })]],
    ["a malformed signature", () => [body, { ...svixHeaders(body), "svix-signature": "v1,not-base64!" }]],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("any v1 entry may match, and a rotated secret list accepts both secrets", async () => {
    const listed = senderEvent();
    await expectAccepted(await post(listed, svixHeaders(listed, { secrets: ["whsec_cmV0aXJlZA==", SECRET] })));
    for (const secret of rotating.match(/whsec_[^"]+/g)!) {
      const rotated = senderEvent();
      await expectAccepted(await postRotating(rotated, svixHeaders(rotated, { secrets: [secret] })));
    }
    const refused = senderEvent();
    await expectUnauthorized(
      await postRotating(refused, svixHeaders(refused, { secrets: ["whsec_b2xkZXItc3RpbGw="] })),
    );
    expect((await delivered()).length).toBe(3);
  });

  it("a redelivery with the same svix-id is answered as a duplicate and enqueued once", async () => {
    const repeated = senderEvent();
    await expectDuplicate(post(repeated, svixHeaders(repeated, { id: "msg_dup", at: nowSeconds() - 60 })), () =>
      post(repeated, svixHeaders(repeated, { id: "msg_dup" })),
    );
  });

  it("is described in /openapi.json", async () => {
    const document = (await (await SELF.fetch(`${GATEWAY}/openapi.json`)).json()) as OpenApi;
    expect(document.paths[`/ingest/${kind}`]?.post?.description).toContain(
      "`svix-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>`",
    );
  });
});
