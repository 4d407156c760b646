/**
 * HTML forms and browser clients: 303 redirects for browsers, the honeypot, Turnstile, multipart
 * with and without files, and CORS with preflight.
 */
import { reset, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { decode, drain, envelope, GATEWAY, pull } from "./support/api";
import { ingest } from "./support/signing";

afterEach(() => reset());

const FORM = "application/x-www-form-urlencoded";
const browser = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("the example contact form", () => {
  it("a classic browser post lands on the thank-you page and reaches the forms queue without the honeypot field", async () => {
    const res = await ingest(
      "contact",
      form({ name: "Ada", email: "ada@example.com", message: "Hello", _gotcha: "" }),
      { "content-type": FORM, ...browser },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/thanks");
    const thanks = await SELF.fetch(`${GATEWAY}/thanks`);
    expect(thanks.status).toBe(200);
    expect(await thanks.text()).toContain("Thank you");
    const [message] = (await drain("forms")).map(decode);
    expect(message).toMatchObject({
      source: "contact",
      content_type: FORM,
      data: { name: "Ada", email: "ada@example.com", message: "Hello" },
    });
    expect((message as { data: object }).data).not.toHaveProperty("_gotcha");
  });

  it("a filled honeypot is answered exactly like success and enqueues nothing", async () => {
    const bot = await ingest("contact", form({ name: "Bot", _gotcha: "http://spam.example" }), {
      "content-type": FORM,
      ...browser,
    });
    expect(bot.status).toBe(303);
    expect(bot.headers.get("location")).toBe("/thanks");
    const api = await ingest("contact", JSON.stringify({ name: "Bot", _gotcha: "x" }), {
      "content-type": "application/json",
    });
    expect(api.status).toBe(202);
    expect((await envelope<{ ids: string[] }>(api)).result.ids).toHaveLength(1);
    expect((await pull("forms", {})).message_backlog_count).toBe(0);
  });

  it("fetch() from another origin gets JSON and CORS headers; the preflight is answered", async () => {
    const preflight = await SELF.fetch(`${GATEWAY}/ingest/contact`, {
      method: "OPTIONS",
      headers: {
        origin: "https://www.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");

    const res = await ingest("contact", JSON.stringify({ name: "Ada", message: "via fetch" }), {
      "content-type": "application/json",
      origin: "https://www.example.org",
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect((await drain("forms")).map(decode)).toMatchObject([{ data: { name: "Ada", message: "via fetch" } }]);
  });

  it("multipart text fields are accepted; file parts are refused with 415", async () => {
    const fields = new FormData();
    fields.append("name", "Ada");
    fields.append("topic", "a");
    fields.append("topic", "b");
    expect((await SELF.fetch(`${GATEWAY}/ingest/contact`, { method: "POST", body: fields })).status).toBe(202);
    const withFile = new FormData();
    withFile.append("name", "Ada");
    withFile.append("cv", new File(["hello"], "cv.txt", { type: "text/plain" }));
    const refused = await SELF.fetch(`${GATEWAY}/ingest/contact`, { method: "POST", body: withFile });
    expect(refused.status).toBe(415);
    expect((await drain("forms")).map(decode)).toMatchObject([{ data: { name: "Ada", topic: ["a", "b"] } }]);
  });
});

describe("CORS restricted to listed origins", () => {
  it("only the configured origin is allowed", async () => {
    const ask = (origin: string) =>
      SELF.fetch(`${GATEWAY}/ingest/tiny`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    expect((await ask("https://site.example")).headers.get("access-control-allow-origin")).toBe("https://site.example");
    expect((await ask("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("errors carry the CORS headers too, so the page can read them", async () => {
    const res = await ingest("tiny", "{oops", { "content-type": "application/json", origin: "https://site.example" });
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://site.example");
  });
});

describe("small inline files and browser error pages", () => {
  it("files within max_file_bytes are carried inline as base64", async () => {
    const data = new FormData();
    data.append("note", "see attachment");
    data.append("file", new File(["hello file"], "hello.txt", { type: "text/plain" }));
    expect((await SELF.fetch(`${GATEWAY}/ingest/files`, { method: "POST", body: data })).status).toBe(202);
    const [message] = (await drain("forms")).map(decode) as { data: { note: string; file: Record<string, unknown> } }[];
    expect(message!.data).toEqual({
      note: "see attachment",
      file: { filename: "hello.txt", type: "text/plain", size: 10, base64: btoa("hello file") },
    });
  });

  it("a browser whose post fails is redirected to the error page with the code", async () => {
    const data = new FormData();
    data.append("file", new File(["x".repeat(2000)], "big.bin"));
    const res = await SELF.fetch(`${GATEWAY}/ingest/files`, {
      method: "POST",
      body: data,
      headers: browser,
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("https://site.example/oops?error=10415");
    expect((await pull("forms", {})).message_backlog_count).toBe(0);
  });
});

describe("Turnstile", () => {
  it("requires a token that siteverify accepts, and never forwards it", async () => {
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      ingest("human", form(fields), { "content-type": FORM, ...headers });
    const missing = await post({ name: "Ada" });
    expect(missing.status).toBe(403);
    expect((await envelope(missing)).errors[0]?.code).toBe(10401);
    expect((await post({ name: "Ada", "cf-turnstile-response": "invalid-token" })).status).toBe(403);
    const ok = await post({ name: "Ada", "cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX" }, browser);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("https://site.example/thanks");
    // Exactly the form's fields: the Turnstile token is not forwarded.
    expect((await drain("forms")).map((m) => (decode(m) as { data: unknown }).data)).toEqual([{ name: "Ada" }]);
  });
});
