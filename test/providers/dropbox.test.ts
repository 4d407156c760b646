import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dropbox } from "../../src/providers/dropbox";
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

const dropboxSignature = (body: string, secret = DEV_SECRET) => createHmac("sha256", secret).update(body).digest("hex");

function post(body: string, headers: Record<string, string> = {}) {
  return send("dropbox", {
    body,
    headers: { "content-type": "application/json", "x-dropbox-signature": dropboxSignature(body), ...headers },
  });
}

const NOTIFICATION =
  '{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345678]}}';

resetAfterEach();

describe("Dropbox", () => {
  it("the builder reproduces hapi-dropbox-webhooks' vector", () => {
    expect(dropboxSignature('{"delta": {"users": [12345]}}', "the_secret")).toBe(
      "0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529",
    );
  });

  it("accepts a signed notification: event list_folder, no delivery id, allowlisted headers only", async () => {
    const [id] = await expectAccepted(await post(NOTIFICATION, { "user-agent": "DropboxWebhooks/1.0", cookie: "a=b" }));
    const messages = await delivered();
    expect(messages).toMatchObject([
      { id, source: "dropbox", event: "list_folder", delivery_id: null, data: JSON.parse(NOTIFICATION) },
    ]);
    expect(messages[0]?.headers).toEqual({ "user-agent": "DropboxWebhooks/1.0" });
  });

  it.each([
    ["a tampered body", { "x-dropbox-signature": dropboxSignature('{"delta":{}}') }],
    ["a wrong key", { "x-dropbox-signature": dropboxSignature(NOTIFICATION, "wrong") }],
    ["no signature", { "x-dropbox-signature": "" }],
    ["a malformed signature", { "x-dropbox-signature": "not-hex" }],
    ["a truncated signature", { "x-dropbox-signature": dropboxSignature(NOTIFICATION).slice(2) }],
    ["a prefixed signature", { "x-dropbox-signature": `sha256=${dropboxSignature(NOTIFICATION)}` }],
  ])("refuses %s with the generic 401", async (_, headers) => {
    await expectUnauthorized(await post(NOTIFICATION, headers));
    expect(await delivered()).toEqual([]);
  });

  it("accepts any configured secret (rotation)", async () => {
    const auth = dropbox.auth.parse({ kind: "dropbox", secret: "S", secrets: ["old", "new"] });
    const check = (secret: string) =>
      verifyDirectly(dropbox, auth, NOTIFICATION, { "x-dropbox-signature": dropboxSignature(NOTIFICATION, secret) });
    expect((await Promise.all(["old", "new", "older"].map(check))).map((r) => r.ok)).toEqual([true, true, false]);
  });

  it("echoes the challenge as text/plain with nosniff (GET and HEAD), enqueueing nothing", async () => {
    const res = await send("dropbox", { method: "GET", query: "?challenge=ZmlsZXMtYXJlLWZ1bg" });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await expectAnswer(res, 200, "text/plain; charset=utf-8", "ZmlsZXMtYXJlLWZ1bg");
    await expectAnswer(
      await send("dropbox", { method: "HEAD", query: "?challenge=ZmlsZXMtYXJlLWZ1bg" }),
      200,
      "text/plain; charset=utf-8",
      "",
    );
    expect(await delivered()).toEqual([]);
  });

  it.each([
    ["no challenge", ""],
    ["an empty challenge", "?challenge="],
    ["a huge challenge", `?challenge=ECHO-ME${"x".repeat(300)}`],
    ["junk", "?chal%00lenge=ECHO-ME&&&=="],
  ])("does not answer a GET with %s (404, nothing echoed)", async (_, query) => {
    const res = await send("dropbox", { method: "GET", query });
    expect({ status: res.status, echoed: (await res.text()).includes("ECHO-ME") }).toEqual({
      status: 404,
      echoed: false,
    });
  });

  it("does not echo a challenge on POST", async () => {
    await expectUnauthorized(
      await send("dropbox", {
        query: "?challenge=ECHO-ME",
        headers: { "content-type": "application/json" },
        body: "{}",
      }),
    );
  });

  it("answers a repeat of the same signed body as a duplicate", async () => {
    await expectDuplicate(post(NOTIFICATION), () => post(NOTIFICATION));
  });

  it("is described in /openapi.json", async () => {
    expect(await ingestDescription("dropbox")).toContain("X-Dropbox-Signature");
  });
});
