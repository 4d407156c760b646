/**
 * X (Twitter) Account Activity API / v2 webhooks: `x-twitter-webhooks-signature:
 * sha256=<base64 HMAC-SHA256 of the body>` with the app's consumer secret; no timestamp.
 * https://docs.x.com/x-api/webhooks/quickstart
 *
 * X's CRC, `GET ?crc_token=…` (unsigned, on registration and hourly), is answered 200
 * application/json `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`
 * with the newest secret. The CRC and the body signature use the same key and the same
 * encoding, so a CRC responder signs whatever it is given: answering `crc_token={"a":1}` would
 * hand out the signature of that body. Domain separation closes it: crc_tokens are answered only
 * when made of base64/UUID characters (X's are, and none of them is `{`), and bodies are accepted
 * only when they are JSON objects (X's always are, and they start with `{`).
 *
 * Payloads are `{"for_user_id":…,"<type>_events":[…]}` (or `user_event`): the event is that key; ids are per item
 * inside the signed body, and there is no delivery id: repeats are recognised by the signed body.
 */
import { toBase64 } from "../lib/encoding";
import { unauthorized } from "../lib/result";
import { hmacPreset } from "./hmac-preset";
import { defineProvider, json } from "./provider";
import { randomInt } from "./sample";

/** X's crc_tokens are base64 of a UUID (48 characters); longer ones are not X's. */
export const MAX_CRC_TOKEN_CHARS = 256;
const CRC_TOKEN = /^[A-Za-z0-9+/=_-]+$/;
const OPEN_BRACE = 0x7b;
const encoder = new TextEncoder();

async function crcResponse(secret: string, token: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return `sha256=${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(token))))}`;
}

/** The `<type>_events` key of an Account Activity payload (`user_event` for a user's revocation). */
function twitterEvent(data: unknown): string | null {
  if (typeof data !== "object" || data === null) return null;
  return Object.keys(data).find((key) => /_events?$/.test(key)) ?? null;
}

const preset = hmacPreset({
  kind: "twitter",
  title: "X (Twitter)",
  docs: "https://docs.x.com/x-api/webhooks/quickstart",
  scheme: { header: "x-twitter-webhooks-signature", prefix: "sha256=", encoding: "base64" },
  identify: (_headers, data) => ({ event: twitterEvent(data), delivery_id: null }),
  example: { secret: "TWITTER_CONSUMER_SECRET", accept: ["json"] },
  sample: {
    event: "tweet_create_events",
    body: (event, nowSeconds) =>
      JSON.stringify({
        for_user_id: "2244994945",
        [event ?? "tweet_create_events"]: [
          {
            id_str: String(randomInt()),
            created_at: new Date(nowSeconds * 1000).toUTCString(),
            text: "Hello, world",
            user: { id_str: "6253282", screen_name: "XDevelopers" },
          },
        ],
      }),
  },
  handshakeSample: { name: "CRC (crc_token)", method: "GET", query: (challenge) => ({ crc_token: challenge }) },
  delivery: "signed_body",
  headers: ["user-agent"],
  description:
    '`x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body>` with the consumer secret; no timestamp, repeats are recognised by the signed body. The CRC `GET ?crc_token=…` is answered 200 application/json `{"response_token":"sha256=<base64 HMAC-SHA256 of the token>"}` (newest secret).',
});

export const twitter = defineProvider({
  ...preset,
  async verify(auth, input, context) {
    // Only objects: the CRC (above) signs tokens that can never be one.
    if (input.body[0] !== OPEN_BRACE) return unauthorized("malformed_signature");
    return preset.verify(auth, input, context);
  },
  async challenge(auth, { method, url }) {
    if (method !== "GET" && method !== "HEAD") return undefined;
    const token = url.searchParams.get("crc_token");
    const newest = auth.secrets.at(-1);
    if (!token || token.length > MAX_CRC_TOKEN_CHARS || !CRC_TOKEN.test(token) || newest === undefined)
      return undefined;
    return json({ response_token: await crcResponse(newest, token) });
  },
});
