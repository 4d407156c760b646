/**
 * Signs requests as SendGrid's signed Event Webhook does
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * ECDSA P-256/SHA-256 over `{timestamp}{body}`, base64 DER in X-Twilio-Email-Event-Webhook-Signature.
 * node:crypto only, independent of the gateway's WebCrypto code. The key is RFC 6979 A.2.5's
 * (its private scalar is published), the one .dev.vars.example configures.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";

/** RFC 6979 A.2.5: the P-256 private scalar, and its public key as SendGrid shows one (base64 DER SPKI). */
export const RFC6979_P256 = {
  d: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
  spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==",
} as const;

function rfc6979Key(): KeyObject {
  const { x, y } = createPublicKey({
    key: Buffer.from(RFC6979_P256.spki, "base64"),
    format: "der",
    type: "spki",
  }).export({ format: "jwk" });
  return createPrivateKey({
    key: { kty: "EC", crv: "P-256", d: Buffer.from(RFC6979_P256.d, "hex").toString("base64url"), x, y },
    format: "jwk",
  });
}

export const RFC6979_KEY = rfc6979Key();

export interface SendGridSigning {
  /** Unix seconds sent in X-Twilio-Email-Event-Webhook-Timestamp. */
  at?: number;
  key?: KeyObject;
}

/** Base64 DER signature (node's default ECDSA encoding, as SendGrid sends it) of `{timestamp}{body}`. */
export const sendgridSignature = (body: string, timestamp: string, key: KeyObject = RFC6979_KEY): string =>
  sign("sha256", Buffer.from(timestamp + body, "utf8"), key).toString("base64");

/** The headers of a SendGrid Event Webhook request carrying `body`. */
export function sendgridHeaders(
  body: string,
  { at = Math.floor(Date.now() / 1000), key = RFC6979_KEY }: SendGridSigning = {},
): Record<string, string> {
  const timestamp = String(at);
  return {
    "content-type": "application/json",
    "x-twilio-email-event-webhook-signature": sendgridSignature(body, timestamp, key),
    "x-twilio-email-event-webhook-timestamp": timestamp,
  };
}
