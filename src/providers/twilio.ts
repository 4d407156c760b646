/**
 * Twilio: `X-Twilio-Signature`, base64 HMAC-SHA1 with the auth token over the full public URL,
 * then, for form posts, every parameter as name+value sorted by name (repeated names: values
 * sorted). JSON posts carry `bodySHA256=<hex sha256(body)>` in the URL and sign the URL only.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-security
 * The URL is the configured public one, never the request's Host (a request signed for another
 * host sharing the token must fail). Like Twilio's SDK we accept it with and without the
 * default port. The idempotency token is an unsigned header: repeats are recognised by the body.
 */
import * as z from "zod";
import { timingSafeEqualBytes } from "../auth/keys";
import { fromBase64, fromHex, toBase64, toHex } from "../lib/encoding";
import { success, unauthorized } from "../lib/result";
import { concatBytes, hmacSign, hmacVerifyAny } from "../verify/hmac";
import { credential, DEV_PUBLIC_BASE_URL, defineProvider, SecretName, SecretValues } from "./provider";
import { FORM_TYPE, isForm, randomHex, uuid } from "./sample";

const decoder = new TextDecoder();

export const TwilioAuth = z.object({
  kind: z.literal("twilio"),
  secret: SecretName,
  secrets: SecretValues,
  /** The public base URL Twilio posts to (and signs). Required: the Host header is the client's to choose. */
  public_base_url: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined ? "required: the public http(s) URL Twilio posts to" : "an http(s) URL",
  }),
});
export type TwilioAuth = z.infer<typeof TwilioAuth>;

export const twilio = defineProvider<TwilioAuth>({
  kind: "twilio",
  title: "Twilio",
  docs: "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
  auth: TwilioAuth,
  readsBody: true,
  async verify(auth, input) {
    const header = input.headers.get("x-twilio-signature");
    if (!header) return unauthorized("missing_signature");
    const signature = fromBase64(header.trim());
    if (signature?.byteLength !== 20) return unauthorized("malformed_signature");
    const bodyHash = input.url.searchParams.get("bodySHA256");
    let params = "";
    if (bodyHash !== null) {
      const expected = fromHex(bodyHash);
      const actual = new Uint8Array(await crypto.subtle.digest("SHA-256", input.body));
      if (!expected || !timingSafeEqualBytes(expected, actual)) return unauthorized("body_hash_mismatch");
    } else {
      params = sortedParams(new URLSearchParams(decoder.decode(input.body)));
    }
    for (const url of urlVariants(input.url)) {
      if (await hmacVerifyAny("sha1", auth.secrets, concatBytes(url, params), [signature])) return success({});
    }
    return unauthorized("signature_mismatch");
  },
  identify: (headers) => ({ event: null, delivery_id: headers.get("i-twilio-idempotency-token") }),
  delivery: "signed_body",
  headers: ["i-twilio-idempotency-token", "user-agent"],
  secretHeaders: ["x-twilio-signature"],
  example: {
    auth: { kind: "twilio", secret: "TWILIO_AUTH_TOKEN", public_base_url: DEV_PUBLIC_BASE_URL },
    accept: ["form", "json"],
  },
  async sign(_auth, credentials, request) {
    const token = credential(credentials, "secret");
    const signature = async (text: string) => toBase64(await hmacSign("sha1", token, concatBytes(text)));
    if (isForm(request.headers["content-type"])) {
      return {
        headers: {
          "x-twilio-signature": await signature(request.url.href + sortedParams(new URLSearchParams(request.body))),
        },
      };
    }
    const url = new URL(request.url);
    url.searchParams.set(
      "bodySHA256",
      toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(request.body)))),
    );
    return { headers: { "x-twilio-signature": await signature(url.href) }, url };
  },
  sample: {
    // An incoming SMS (Twilio names no events).
    event: null,
    contentType: FORM_TYPE,
    body: () =>
      new URLSearchParams({
        MessageSid: `SM${randomHex(16)}`,
        AccountSid: `AC${randomHex(16)}`,
        From: "+15550001111",
        To: "+15550002222",
        Body: "Hello from Twilio",
        NumMedia: "0",
      }).toString(),
    headers: () => ({ "i-twilio-idempotency-token": uuid(), "user-agent": "TwilioProxy/1.1" }),
  },
  openapi: {
    description:
      "Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature: <base64 HMAC-SHA1 of the public URL + sorted form params>`; JSON posts sign the URL carrying `bodySHA256`.",
    security: () => ({ type: "apiKey", header: "x-twilio-signature" }),
  },
});

export function sortedParams(params: URLSearchParams): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
  return [...byName.keys()]
    .sort()
    .map((name) =>
      (byName.get(name) ?? [])
        .sort()
        .map((value) => name + value)
        .join(""),
    )
    .join("");
}

/** The URL as given, plus the same URL with the default port added. */
function urlVariants(url: URL): string[] {
  const href = url.href;
  const defaultPort = url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "";
  if (!defaultPort || url.port !== "") return [href];
  return [href, href.replace(`${url.protocol}//${url.host}`, `${url.protocol}//${url.hostname}:${defaultPort}`)];
}
