/**
 * Mailgun: the signature is in the body, not a header. JSON webhooks carry
 * `signature: {timestamp, token, signature}`; form posts (Routes, legacy webhooks) carry the
 * three as top-level fields. `signature` is the hex HMAC-SHA256 of `timestamp + token` with the
 * webhook signing key, and the timestamp must be within 300 s either way.
 * https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
 * The HMAC does not cover the event data: a captured triple would verify with any body. So the
 * token is the delivery id (signed, single use): within the idempotency window a replayed token
 * is a duplicate (same body) or a conflict (another body), never a second delivery. That holds
 * while the source's idempotency window (a day by default) outlasts the timestamp tolerance.
 */
import * as z from "zod";
import { fromHex, toHex } from "../lib/encoding";
import { mediaType } from "../lib/media";
import { success, unauthorized } from "../lib/result";
import { concatBytes, hmacSign, hmacVerifyAny } from "../verify/hmac";
import { checkTimestamp, TOLERANCE_SECONDS } from "../verify/timestamp";
import { credential, defineProvider, field, SecretName, SecretValues, Tolerance } from "./provider";
import { isForm, randomHex, withJsonField } from "./sample";

/** Mailgun's tokens are 50 characters; anything far longer is not one. */
const MAILGUN_TOKEN_CHARS = 50;
const MAX_TOKEN_CHARS = 256;
const SIGNATURE_BYTES = 32;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export const MailgunAuth = z.object({
  kind: z.literal("mailgun"),
  secret: SecretName,
  secrets: SecretValues,
  tolerance_seconds: Tolerance.optional(),
});
export type MailgunAuth = z.infer<typeof MailgunAuth>;

interface Triple {
  timestamp: unknown;
  token: unknown;
  signature: unknown;
}

export const mailgun = defineProvider<MailgunAuth>({
  kind: "mailgun",
  title: "Mailgun",
  docs: "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
  auth: MailgunAuth,
  readsBody: true,
  async verify(auth, input) {
    const triple = await signatureTriple(input.headers.get("content-type") ?? undefined, input.body);
    if (!triple) return unauthorized("missing_signature");
    const { timestamp, token, signature } = triple;
    const ts = typeof timestamp === "number" && Number.isInteger(timestamp) ? String(timestamp) : timestamp;
    if (typeof ts !== "string" || typeof token !== "string" || typeof signature !== "string")
      return unauthorized("malformed_signature");
    const time = checkTimestamp(ts, input.nowSeconds, auth.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!time.ok) return time;
    const expected = signature.length === SIGNATURE_BYTES * 2 ? fromHex(signature) : undefined;
    if (!token || token.length > MAX_TOKEN_CHARS || !expected) return unauthorized("malformed_signature");
    return (await hmacVerifyAny("sha256", auth.secrets, concatBytes(ts, token), [expected]))
      ? success({})
      : unauthorized("signature_mismatch");
  },
  identify: (_headers, data) => ({
    event: field(data, "event-data", "event") ?? field(data, "event"),
    delivery_id: field(data, "signature", "token") ?? field(data, "token"),
  }),
  delivery: "signed_id",
  headers: ["user-agent"],
  secretHeaders: [],
  example: { auth: { kind: "mailgun", secret: "MAILGUN_SIGNING_KEY" }, accept: ["json", "form"] },
  // The signature goes into the body: a `signature` object (JSON) or three fields (forms).
  async sign(_auth, credentials, request) {
    const timestamp = String(request.nowSeconds);
    const token = randomHex(MAILGUN_TOKEN_CHARS / 2);
    const signature = toHex(await hmacSign("sha256", credential(credentials, "secret"), concatBytes(timestamp, token)));
    if (isForm(request.headers["content-type"])) {
      const fields = new URLSearchParams({ timestamp, token, signature }).toString();
      return { headers: {}, body: request.body ? `${request.body}&${fields}` : fields };
    }
    return {
      headers: {},
      body: withJsonField(request.body, "signature", JSON.stringify({ timestamp, token, signature })),
    };
  },
  sample: {
    event: "delivered",
    body: (event, nowSeconds) =>
      JSON.stringify({
        "event-data": {
          event,
          id: randomHex(11),
          timestamp: nowSeconds,
          recipient: "alice@example.com",
          message: { headers: { "message-id": `${randomHex(8)}@example.com`, subject: "Test delivered webhook" } },
        },
      }),
  },
  openapi: {
    description: `Mailgun (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks): no header; the body's \`signature: {timestamp, token, signature}\` (JSON) or \`timestamp\`, \`token\`, \`signature\` fields (forms), \`signature\` being the hex HMAC-SHA256 of \`timestamp + token\`, within ${TOLERANCE_SECONDS} s either way (\`tolerance_seconds\`). The event data is not signed: the token is the delivery id, so a replayed token is a duplicate or a 422 conflict, never a second delivery.`,
    security: () => undefined,
  },
});

/** The signature fields of a JSON or form body; undefined where the body has none, or names one twice. */
async function signatureTriple(contentType: string | undefined, body: Uint8Array): Promise<Triple | undefined> {
  const kind = mediaType(contentType)?.kind;
  if (kind === "json") {
    try {
      const signed = (JSON.parse(utf8.decode(body)) as { signature?: unknown } | null)?.signature;
      return typeof signed === "object" && signed !== null ? (signed as Triple) : undefined;
    } catch {
      return undefined;
    }
  }
  if (kind !== "form" && kind !== "multipart") return undefined;
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": contentType! } }).formData();
  } catch {
    return undefined;
  }
  // A repeated field would be verified on its first value but read as a list downstream, leaving the message without its token.
  const one = (name: string) => {
    const values = form.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  return { timestamp: one("timestamp"), token: one("token"), signature: one("signature") };
}
