/**
 * Mux: `mux-signature: t=<unix>,v1=<hex>[,v1=…]`, HMAC-SHA256 of `{t}.{body}` with the
 * endpoint's signing secret; any v1 may match. Mux's SDK refuses timestamps older than 300 s; we
 * refuse future ones too. The event id and type are in the signed body.
 * https://www.mux.com/docs/core/verify-webhook-signatures
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { isoAt, randomHex, uuid } from "./sample";

export const mux = hmacPreset({
  kind: "mux",
  title: "Mux",
  docs: "https://www.mux.com/docs/core/verify-webhook-signatures",
  scheme: {
    header: "mux-signature",
    separator: ",",
    entry: "v1=",
    timestamp_entry: "t=",
    template: "{timestamp}.{body}",
  },
  identify: (_headers, data) => ({ event: field(data, "type"), delivery_id: field(data, "id") }),
  example: { secret: "MUX_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "video.asset.ready",
    body: (event, nowSeconds) =>
      JSON.stringify({
        type: event,
        id: uuid(),
        created_at: isoAt(nowSeconds),
        object: { type: "asset", id: randomHex(16) },
        environment: { name: "Development", id: "j0863n" },
        data: { status: "ready", playback_ids: [{ policy: "public", id: randomHex(16) }] },
      }),
  },
  delivery: "signed_id",
  headers: ["user-agent"],
  description:
    "`mux-signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, within 300 s either way; event id and type from the signed body.",
});
