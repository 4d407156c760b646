/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>` with the webhook's signing secret.
 * The timestamp is not a header but the body's `webhookTimestamp` (unix ms), so it is signed;
 * like Linear's SDK, a delivery more than 60 s off either way is refused. The JSON is read here,
 * after the signature matched, so only Linear's own bytes are parsed; anything unreadable is a
 * plain 401. https://linear.app/developers/webhooks
 * `Linear-Delivery` (the delivery id) and `Linear-Event` are unsigned headers: repeats are
 * recognised by the signed body (which carries the timestamp).
 */
import { type Result, success, unauthorized } from "../lib/result";
import { SignatureScheme, signScheme, verifyScheme } from "../verify/scheme";
import { checkSeconds } from "../verify/timestamp";
import { credential, defineProvider, field, secretAuth } from "./provider";
import { isoAt, uuid, withJsonField } from "./sample";

/** Linear's SDK refuses deliveries whose `webhookTimestamp` is further than this from now. */
const TOLERANCE_SECONDS = 60;
const SCHEME = SignatureScheme.parse({ header: "linear-signature" });
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const encoder = new TextEncoder();

export const LinearAuth = secretAuth("linear");

export const linear = defineProvider({
  kind: "linear",
  title: "Linear",
  docs: "https://linear.app/developers/webhooks",
  auth: LinearAuth,
  readsBody: true,
  async verify(auth, input) {
    const signed = await verifyScheme(SCHEME, auth.secrets, input);
    if (!signed.ok) return signed;
    const timestamp = signedTimestamp(input.body, input.nowSeconds);
    return timestamp.ok ? success({}) : timestamp;
  },
  // The entity type, as Linear's `Linear-Event` header and its SDK's handlers name it (`Issue`);
  // the action (`create`, `update`, `remove`) is in the data.
  identify: (headers, data) => ({ event: field(data, "type"), delivery_id: headers.get("linear-delivery") }),
  delivery: "signed_body",
  headers: ["linear-delivery", "linear-event", "user-agent"],
  secretHeaders: ["linear-signature"],
  example: { auth: { kind: "linear", secret: "LINEAR_WEBHOOK_SECRET" }, accept: ["json"] },
  // Linear stamps every delivery with its send time inside the body, then signs the body.
  async sign(_auth, credentials, request) {
    const body = withJsonField(request.body, "webhookTimestamp", String(request.nowSeconds * 1000));
    const headers = await signScheme(SCHEME, credential(credentials, "secret"), {
      ...request,
      body: encoder.encode(body),
      headers: new Headers(request.headers),
    });
    return { headers, body };
  },
  sample: {
    event: "Issue",
    body: (event, nowSeconds) =>
      JSON.stringify({
        action: "create",
        type: event,
        data: { id: uuid(), identifier: "ENG-123", title: "Rivers should flow", priority: 2 },
        url: "https://linear.app/acme/issue/ENG-123",
        createdAt: isoAt(nowSeconds),
        organizationId: uuid(),
        webhookId: uuid(),
        webhookTimestamp: nowSeconds * 1000,
      }),
    headers: (event) => ({
      "linear-delivery": uuid(),
      "linear-event": event ?? "Issue",
      "user-agent": "Linear-Webhook",
    }),
  },
  openapi: {
    description: `Linear (https://linear.app/developers/webhooks): \`Linear-Signature: <hex HMAC-SHA256 of the body>\`; the body's \`webhookTimestamp\` (ms, signed) within ${TOLERANCE_SECONDS} s either way. Event from the body's \`type\`; the delivery id (\`Linear-Delivery\`) is unsigned: repeats are recognised by the signed body.`,
    security: () => ({ type: "apiKey", header: "linear-signature" }),
  },
});

function signedTimestamp(body: Uint8Array, nowSeconds: number): Result<void> {
  let data: unknown;
  try {
    data = JSON.parse(utf8.decode(body));
  } catch {
    return unauthorized("missing_timestamp");
  }
  const ms =
    typeof data === "object" && data !== null && Object.hasOwn(data, "webhookTimestamp")
      ? (data as { webhookTimestamp: unknown }).webhookTimestamp
      : undefined;
  if (ms === undefined) return unauthorized("missing_timestamp");
  if (typeof ms !== "number" || !Number.isFinite(ms)) return unauthorized("malformed_signature");
  return checkSeconds(ms / 1000, nowSeconds, TOLERANCE_SECONDS);
}
