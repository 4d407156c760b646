/**
 * SendGrid (Twilio) Event Webhook, signed: `X-Twilio-Email-Event-Webhook-Signature: <base64 DER
 * ECDSA P-256/SHA-256 signature of {X-Twilio-Email-Event-Webhook-Timestamp}{body}>`, verified
 * with the webhook's verification key (base64 DER SubjectPublicKeyInfo, as SendGrid shows it).
 * https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
 * SendGrid documents no tolerance for the timestamp (its SDK checks none); the gateway applies
 * its usual 300 s either way (`tolerance_seconds` widens it). A delivery is a JSON array of
 * events with no id of its own: repeats are recognised by the signed body. Its event is the
 * events' common `event`, or null when they differ; its id is the `sg_event_id` of a single event.
 */
import * as z from "zod";
import { fromBase64, toBase64 } from "../lib/encoding";
import { success, unauthorized } from "../lib/result";
import { derToP1363, ecdsaP256Sign, ecdsaP256VerifyAny, p256PublicKey, p1363ToDer } from "../verify/ecdsa";
import { concatBytes } from "../verify/hmac";
import { checkTimestamp, TOLERANCE_SECONDS } from "../verify/timestamp";
import { credential, defineProvider, field, SecretName, SecretValues, Tolerance } from "./provider";
import { randomHex } from "./sample";

const SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
const TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";
/** Base64 of the longest DER P-256 signature (72 bytes): anything longer is not one. */
const MAX_SIGNATURE_CHARS = 96;

export const SendGridAuth = z
  .object({
    kind: z.literal("sendgrid"),
    /** Names the Worker secret holding the verification key (a JSON array of keys while rotating). */
    secret: SecretName,
    secrets: SecretValues,
    tolerance_seconds: Tolerance.optional(),
  })
  .superRefine((auth, ctx) => {
    for (const [i, key] of auth.secrets.entries()) {
      if (!p256PublicKey(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i],
          message: `${auth.secret} is not a SendGrid verification key (base64 DER of a P-256 public key, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…")`,
        });
      }
    }
  });
export type SendGridAuth = z.infer<typeof SendGridAuth>;

export const sendgrid = defineProvider<SendGridAuth>({
  kind: "sendgrid",
  title: "SendGrid",
  docs: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
  auth: SendGridAuth,
  readsBody: true,
  async verify(auth, input) {
    const header = input.headers.get(SIGNATURE_HEADER)?.trim();
    if (!header) return unauthorized("missing_signature");
    const der = header.length <= MAX_SIGNATURE_CHARS ? fromBase64(header) : undefined;
    const signature = der && derToP1363(der);
    if (!signature) return unauthorized("malformed_signature");
    const timestamp = input.headers.get(TIMESTAMP_HEADER);
    const time = checkTimestamp(timestamp, input.nowSeconds, auth.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!time.ok) return time;
    const keys = auth.secrets.map(p256PublicKey).filter((key) => key !== undefined);
    const signed = concatBytes(timestamp ?? "", input.body);
    return (await ecdsaP256VerifyAny(keys, signed, signature)) ? success({}) : unauthorized("signature_mismatch");
  },
  identify(_headers, data) {
    const events: unknown[] = Array.isArray(data) ? data : [data];
    const types = new Set(events.map((e) => field(e, "event")));
    const [only] = types;
    return {
      event: types.size === 1 ? (only ?? null) : null,
      delivery_id: events.length === 1 ? field(events[0], "sg_event_id") : null,
    };
  },
  delivery: "signed_body",
  headers: [TIMESTAMP_HEADER, "user-agent"],
  secretHeaders: [SIGNATURE_HEADER],
  example: { auth: { kind: "sendgrid", secret: "SENDGRID_PUBLIC_KEY" }, accept: ["json"] },
  async sign(_auth, credentials, request) {
    const timestamp = String(request.nowSeconds);
    const signature = await ecdsaP256Sign(credential(credentials, "secret"), concatBytes(timestamp, request.body));
    return { headers: { [SIGNATURE_HEADER]: toBase64(p1363ToDer(signature)), [TIMESTAMP_HEADER]: timestamp } };
  },
  publicKeys: ["secret"],
  sample: {
    event: "delivered",
    body: (event, nowSeconds) =>
      JSON.stringify([
        {
          email: "example@test.com",
          timestamp: nowSeconds,
          "smtp-id": `<${randomHex(8)}@ismtpd0001p1lon1.sendgrid.net>`,
          event,
          category: ["cat facts"],
          sg_event_id: randomHex(16),
          sg_message_id: `${randomHex(11)}.filter0001.16648.5515E0B88.0`,
          response: "250 OK",
        },
      ]),
  },
  openapi: {
    description:
      "SendGrid Event Webhook (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features): `X-Twilio-Email-Event-Webhook-Signature: <base64 DER ECDSA P-256/SHA-256 signature of {X-Twilio-Email-Event-Webhook-Timestamp}{body}>`, checked with the verification key, timestamp within 300 s either way (the gateway's choice: SendGrid documents none). The JSON array of events is one message; repeats are recognised by the signed body.",
    security: () => ({ type: "apiKey", header: SIGNATURE_HEADER }),
  },
});
