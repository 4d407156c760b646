/**
 * Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of v0:{x-zm-request-timestamp}:{body}>` with the
 * app's secret token; the timestamp is unix seconds, accepted within 300 s either way.
 * https://developers.zoom.us/docs/api/webhooks/
 *
 * `endpoint.url_validation` (on registration and every 72 h) is signed like any event and is
 * answered after verification: 200 application/json `{"plainToken","encryptedToken"}` where
 * encryptedToken is the hex HMAC-SHA256 of plainToken with the newest secret.
 *
 * The event is the body's `event`. Zoom's only id is `x-zm-trackingid`, an unsigned header (kept
 * as the delivery id for tracing); the body (event, `event_ts`, payload) is signed, and Zoom's
 * retries resend it unchanged: repeats are recognised by the signed body.
 */
import { toHex } from "../lib/encoding";
import { hmacPreset } from "./hmac-preset";
import { field, json } from "./provider";
import { randomHex, uuid } from "./sample";

const encoder = new TextEncoder();

async function encryptedToken(secret: string, plainToken: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(plainToken))));
}

export const zoom = hmacPreset({
  kind: "zoom",
  title: "Zoom",
  docs: "https://developers.zoom.us/docs/api/webhooks/",
  scheme: {
    header: "x-zm-signature",
    prefix: "v0=",
    timestamp_header: "x-zm-request-timestamp",
    template: "v0:{timestamp}:{body}",
  },
  identify: (headers, data) => ({ event: field(data, "event"), delivery_id: headers.get("x-zm-trackingid") }),
  example: { secret: "ZOOM_SECRET_TOKEN", accept: ["json"] },
  sample: {
    event: "meeting.started",
    body: (event, nowSeconds) =>
      JSON.stringify({
        event,
        event_ts: nowSeconds * 1000,
        payload: {
          account_id: "AAAAAABBBB",
          object: {
            id: "1234567890",
            uuid: `${randomHex(11)}==`,
            topic: "My Meeting",
            start_time: new Date(nowSeconds * 1000).toISOString(),
          },
        },
      }),
    headers: () => ({ "x-zm-trackingid": `v=2.0;clid=aw1;rid=${uuid()}` }),
  },
  handshakeSample: {
    name: "endpoint.url_validation",
    method: "POST",
    body: (challenge, nowSeconds) =>
      JSON.stringify({
        payload: { plainToken: challenge },
        event_ts: nowSeconds * 1000,
        event: "endpoint.url_validation",
      }),
  },
  delivery: "signed_body",
  headers: ["x-zm-trackingid", "x-zm-request-timestamp", "user-agent"],
  // Apps created before the secret token sent the legacy verification token here.
  secretHeaders: ["authorization"],
  description:
    "`x-zm-signature: v0=<hex HMAC-SHA256 of v0:{ts}:{body}>` with `x-zm-request-timestamp` (unix seconds), within 300 s either way; repeats are recognised by the signed body. `endpoint.url_validation` is answered 200 application/json `{plainToken, encryptedToken}` (hex HMAC-SHA256 of plainToken, newest secret) and not enqueued.",
  async handshake(secrets, data) {
    const plainToken = field(data, "payload", "plainToken");
    const newest = secrets.at(-1);
    if (field(data, "event") !== "endpoint.url_validation" || plainToken === null || newest === undefined)
      return undefined;
    return json({ plainToken, encryptedToken: await encryptedToken(newest, plainToken) });
  },
});
