/**
 * GitLab: the secret token (`X-Gitlab-Token`, compared in constant time) and/or the GitLab 19.0+
 * signing token (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature:
 * v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` keyed with the `whsec_` token's 32 bytes, within
 * 300 s either way); every configured credential is required. The builder below is proved by
 * `standardwebhooks` (the library GitLab's own test server uses; in workerd) and reproduces the
 * research notes' vector.
 */
import { env } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { GitlabAuth } from "../../src/providers/gitlab";
import { envelope } from "../support/api";
import {
  DEV_SECRET,
  delivered,
  expectAccepted,
  expectUnauthorized,
  GATEWAY,
  ingestDescription,
  nowSeconds,
  resetAfterEach,
  STALE_SECONDS,
  send,
} from "../support/providers";

/** GITLAB_SIGNING_TOKEN in .dev.vars.example: whsec_ + base64(SHA-256("local-dev-secret")). */
const SIGNING_TOKEN = "whsec_6ybUqaDvBHJ/UvtazIk2GWrpDiMAP8URfOjj4oxJNj8=";
const OLD_SIGNING_TOKEN = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

interface Signing {
  /** The secret token sent, or null for none. */
  token?: string | null;
  /** The signing token that signs, or null for no signature. */
  signingToken?: string | null;
  id?: string;
  at?: number;
}
/** GitLab's headers: the secret token as is, and the Standard Webhooks signature (webhook-id = Idempotency-Key). */
function gitlabHeaders(
  body: string,
  { token = DEV_SECRET, signingToken = SIGNING_TOKEN, id = crypto.randomUUID(), at = nowSeconds() }: Signing = {},
) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-gitlab-event": "Push Hook",
    "x-gitlab-event-uuid": crypto.randomUUID(),
    "x-gitlab-instance": "https://gitlab.example.com",
    "user-agent": "GitLab/19.0.0",
    cookie: "a=b",
  };
  if (token !== null) headers["x-gitlab-token"] = token;
  if (signingToken !== null) {
    const key = Buffer.from(signingToken.slice("whsec_".length), "base64");
    const signature = createHmac("sha256", key).update(`${id}.${at}.${body}`).digest("base64");
    Object.assign(headers, {
      "webhook-id": id,
      "webhook-timestamp": String(at),
      "webhook-signature": `v1,${signature}`,
      "idempotency-key": id,
    });
  }
  return headers;
}

const pushEvent = (fields: Record<string, unknown> = { object_kind: "push" }) =>
  JSON.stringify({
    ...fields,
    event_name: fields.object_kind ?? fields.event_name,
    ref: "refs/heads/main",
    checkout_sha: crypto.randomUUID(),
    project: { name: "Zoë" },
  });

const post = (body: string, headers = gitlabHeaders(body)) => send("gitlab", { body, headers });
/** The gitlab source with other secrets or another auth (config is read from the bindings). */
const postWith = (vars: Record<string, unknown>, body: string, headers: Record<string, string>) =>
  app.request(`${GATEWAY}/ingest/gitlab`, { method: "POST", body, headers }, { ...env, ...vars } as Env);
// The test configuration's other sources stay (its write keys name some of them).
const only = (auth: Record<string, string>) => ({
  SOURCES: { ...(env.SOURCES as object), gitlab: { auth: { kind: "gitlab", ...auth } } },
});
const TOKEN_ONLY = only({ secret: "GITLAB_WEBHOOK_TOKEN" });
const SIGNING_ONLY = only({ signing_token: "GITLAB_SIGNING_TOKEN" });
const ROTATING = {
  GITLAB_WEBHOOK_TOKEN: JSON.stringify(["old-token", DEV_SECRET]),
  GITLAB_SIGNING_TOKEN: JSON.stringify([OLD_SIGNING_TOKEN, SIGNING_TOKEN]),
};

resetAfterEach();

describe("GitLab", () => {
  it("the builder signs as GitLab 19 does: standardwebhooks verifies it, and the research notes' vector is reproduced", () => {
    const body = '{"object_kind":"push","event_name":"push","ref":"refs/heads/main"}';
    const id = "b0a5f7e4-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    const headers = gitlabHeaders(body, { id, at: 1735689600 });
    expect(headers["webhook-signature"]).toBe("v1,xVTu3T6iZ+f+EqVXkB/Smz9TAbM2k0BL0TmKOp0WTvY=");
    expect(new Webhook(SIGNING_TOKEN).sign(id, new Date(1735689600 * 1000), body)).toBe(headers["webhook-signature"]);
    const fresh = gitlabHeaders(body, { id });
    expect(new Webhook(SIGNING_TOKEN).verify(body, fresh)).toEqual(JSON.parse(body));
  });

  it("accepts a delivery with both credentials: object_kind as event, the signed webhook-id as delivery id, allowlisted headers only", async () => {
    const body = pushEvent({ object_kind: "merge_request" });
    const headers = gitlabHeaders(body, { id: "wh-1" });
    const [id] = await expectAccepted(await post(body, headers));
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "gitlab",
      event: "merge_request",
      delivery_id: "wh-1",
      data: { project: { name: "Zoë" } },
    });
    const {
      "x-gitlab-token": _token,
      "webhook-signature": _signature,
      cookie: _cookie,
      "content-type": _type,
      ...forwarded
    } = headers;
    expect(message!.headers).toEqual(forwarded);
  });

  const body = pushEvent();
  it.each<[string, () => [string, Record<string, string>]]>([
    [
      "the secret token alone (a signing token is configured)",
      () => [body, gitlabHeaders(body, { signingToken: null })],
    ],
    ["the signature alone (a secret token is configured)", () => [body, gitlabHeaders(body, { token: null })]],
    ["a wrong secret token", () => [body, gitlabHeaders(body, { token: "wrong" })]],
    ["a tampered body", () => [`${body} `, gitlabHeaders(body)]],
    ["a wrong signing token", () => [body, gitlabHeaders(body, { signingToken: OLD_SIGNING_TOKEN })]],
    ["a stale timestamp", () => [body, gitlabHeaders(body, { at: nowSeconds() - STALE_SECONDS })]],
    ["a future timestamp", () => [body, gitlabHeaders(body, { at: nowSeconds() + STALE_SECONDS })]],
    ["another webhook-id than the one signed", () => [body, { ...gitlabHeaders(body), "webhook-id": "other" }]],
    ["a malformed signature", () => [body, { ...gitlabHeaders(body), "webhook-signature": "v1,not-base64!" }]],
  ])("refuses %s with the generic 401", async (_case, request) => {
    await expectUnauthorized(await post(...request()));
    expect(await delivered()).toEqual([]);
  });

  it("with only a secret token configured, the token is required and enough; the event falls back to event_name, then X-Gitlab-Event", async () => {
    const system = pushEvent({ event_name: "project_create" });
    await expectAccepted(await postWith(TOKEN_ONLY, system, gitlabHeaders(system, { signingToken: null })));
    const bare = JSON.stringify({ note: crypto.randomUUID() });
    await expectAccepted(await postWith(TOKEN_ONLY, bare, gitlabHeaders(bare, { signingToken: null })));
    await expectUnauthorized(
      await postWith(TOKEN_ONLY, bare, gitlabHeaders(bare, { token: "wrong", signingToken: null })),
    );
    await expectUnauthorized(await postWith(TOKEN_ONLY, bare, gitlabHeaders(bare, { token: null })));
    expect((await delivered()).map((m) => m.event)).toEqual(["project_create", "Push Hook"]);
  });

  it("with only a signing token configured, the signature is required and enough", async () => {
    const signed = pushEvent();
    await expectAccepted(await postWith(SIGNING_ONLY, signed, gitlabHeaders(signed, { token: null })));
    const unsigned = pushEvent();
    await expectUnauthorized(await postWith(SIGNING_ONLY, unsigned, gitlabHeaders(unsigned, { signingToken: null })));
    expect((await delivered()).length).toBe(1);
  });

  it("rotated lists accept every configured token and signing token", async () => {
    for (const token of ["old-token", DEV_SECRET]) {
      for (const signingToken of [OLD_SIGNING_TOKEN, SIGNING_TOKEN]) {
        const rotated = pushEvent();
        await expectAccepted(await postWith(ROTATING, rotated, gitlabHeaders(rotated, { token, signingToken })));
      }
    }
    const refused = pushEvent();
    await expectUnauthorized(await postWith(ROTATING, refused, gitlabHeaders(refused, { token: "older-still" })));
    expect((await delivered()).length).toBe(4);
  });

  it("refuses a configuration without credentials or with a signing token that is not 32 bytes", () => {
    expect(GitlabAuth.safeParse({ kind: "gitlab" }).success).toBe(false);
    expect(
      GitlabAuth.safeParse({ kind: "gitlab", signing_token: "T", signing_tokens: ["whsec_bG9jYWwtZGV2LXNlY3JldA=="] })
        .success,
    ).toBe(false);
    expect(GitlabAuth.safeParse({ kind: "gitlab", signing_token: "T", signing_tokens: [SIGNING_TOKEN] }).success).toBe(
      true,
    );
  });

  it("a redelivery is a duplicate: by the signed body, whatever the (unsigned) X-Gitlab-Event-UUID says", async () => {
    const repeated = pushEvent();
    const [id] = await expectAccepted(
      await post(repeated, gitlabHeaders(repeated, { id: "wh-dup", at: nowSeconds() - 60 })),
    );
    const again = await post(repeated, gitlabHeaders(repeated, { id: "wh-dup" }));
    expect({ status: again.status, result: (await envelope(again)).result }).toEqual({
      status: 200,
      result: { ids: [id], duplicate: true },
    });
    // With a secret token alone, the only id is the unsigned event UUID (a new one on each request here).
    const tokenOnly = pushEvent();
    const [first] = await expectAccepted(
      await postWith(TOKEN_ONLY, tokenOnly, gitlabHeaders(tokenOnly, { signingToken: null })),
    );
    const replayed = await postWith(TOKEN_ONLY, tokenOnly, gitlabHeaders(tokenOnly, { signingToken: null }));
    expect({ status: replayed.status, result: (await envelope(replayed)).result }).toEqual({
      status: 200,
      result: { ids: [first], duplicate: true },
    });
    expect((await delivered()).map((m) => m.id)).toEqual([id, first]);
  });

  it("is described in /openapi.json", async () => {
    const description = await ingestDescription("gitlab");
    expect(description).toContain("`X-Gitlab-Token`");
    expect(description).toContain("`webhook-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>`");
  });
});
