/**
 * HubSpot (request signature v3): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256>` with the app's
 * client secret over `{method}{uri}{body}{X-HubSpot-Request-Timestamp}`, the timestamp in
 * milliseconds. HubSpot says "Reject the request if the timestamp is older than 5 minutes"; we
 * refuse future-dated ones too.
 * https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
 * The uri is the public URL HubSpot called (the configured `public_base_url`, never the request's
 * Host) with exactly the percent-escapes of HubSpot's table decoded, nothing else. The signed
 * bytes are composed here, not by the scheme's template: a query string may hold `{…}` text the
 * template would read as placeholders.
 * The body is a JSON array of up to 100 events, each with its `subscriptionType` and `eventId`
 * (signed); nothing names the delivery as a whole, so repeats are recognised by the signed body.
 */
import * as z from "zod";
import { toBase64 } from "../lib/encoding";
import { success, unauthorized } from "../lib/result";
import { concatBytes, decodeSignature, hmacSign, hmacVerifyAny } from "../verify/hmac";
import { signatureList } from "../verify/signature-list";
import { checkSeconds, TOLERANCE_SECONDS } from "../verify/timestamp";
import { PublicBaseUrl } from "./hmac-preset";
import {
  credential,
  DEV_PUBLIC_BASE_URL,
  defineProvider,
  field,
  SecretName,
  SecretValues,
  Tolerance,
} from "./provider";
import { randomInt } from "./sample";

const SIGNATURE_HEADER = "x-hubspot-signature-v3";
const TIMESTAMP_HEADER = "x-hubspot-request-timestamp";
const SHA256_BYTES = 32;

/** HubSpot's table: the only escapes decoded in the signed uri (`%20`, `%26`, `%3D`… stay as sent). */
const DECODED: Readonly<Record<string, string>> = {
  "%3A": ":",
  "%2F": "/",
  "%3F": "?",
  "%40": "@",
  "%21": "!",
  "%24": "$",
  "%27": "'",
  "%28": "(",
  "%29": ")",
  "%2A": "*",
  "%2C": ",",
  "%3B": ";",
};

export function hubspotUri(url: URL): string {
  return url.href.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (encoded) => DECODED[encoded.toUpperCase()] ?? encoded,
  );
}

export const HubspotAuth = z.object({
  kind: z.literal("hubspot"),
  secret: SecretName,
  secrets: SecretValues,
  tolerance_seconds: Tolerance.optional(),
  /** The public base URL HubSpot posts to (and signs). Required: the Host header is the client's to choose. */
  public_base_url: PublicBaseUrl,
});
export type HubspotAuth = z.infer<typeof HubspotAuth>;

/** The event type of one event, or of a batch whose events all share it (else null). */
function subscriptionType(data: unknown): string | null {
  if (!Array.isArray(data)) return field(data, "subscriptionType");
  const types = new Set(data.map((event) => field(event, "subscriptionType")));
  return types.size === 1 ? ([...types][0] ?? null) : null;
}

export const hubspot = defineProvider<HubspotAuth>({
  kind: "hubspot",
  title: "HubSpot",
  docs: "https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation",
  auth: HubspotAuth,
  readsBody: true,
  async verify(auth, input) {
    const header = input.headers.get(SIGNATURE_HEADER);
    if (!header) return unauthorized("missing_signature");
    const signatures = signatureList(header, [header.trim()], (entry) => {
      const signature = decodeSignature(entry, "base64");
      return signature?.byteLength === SHA256_BYTES ? signature : undefined;
    });
    if (!signatures.ok) return signatures;
    const timestamp = input.headers.get(TIMESTAMP_HEADER);
    if (!timestamp) return unauthorized("missing_timestamp");
    if (!/^\d{1,15}$/.test(timestamp)) return unauthorized("malformed_signature");
    const fresh = checkSeconds(Number(timestamp) / 1000, input.nowSeconds, auth.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!fresh.ok) return fresh;
    const signed = concatBytes(input.method, hubspotUri(input.url), input.body, timestamp);
    return (await hmacVerifyAny("sha256", auth.secrets, signed, signatures.value))
      ? success({})
      : unauthorized("signature_mismatch");
  },
  // A batch source (`batch: true`) names each event by its own type.
  identify: (_headers, data) => ({ event: subscriptionType(data), delivery_id: null }),
  delivery: "signed_body",
  headers: [TIMESTAMP_HEADER, "user-agent"],
  // The v1/v2 signature HubSpot still sends beside v3.
  secretHeaders: [SIGNATURE_HEADER, "x-hubspot-signature"],
  example: {
    auth: { kind: "hubspot", secret: "HUBSPOT_CLIENT_SECRET", public_base_url: DEV_PUBLIC_BASE_URL },
    accept: ["json"],
  },
  async sign(_auth, credentials, request) {
    const timestamp = String(request.nowSeconds * 1000);
    const signed = concatBytes(request.method, hubspotUri(request.url), request.body, timestamp);
    const signature = toBase64(await hmacSign("sha256", credential(credentials, "secret"), signed));
    return { headers: { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: timestamp } };
  },
  sample: {
    event: "contact.creation",
    body: (event, nowSeconds) =>
      JSON.stringify([
        {
          eventId: randomInt(),
          subscriptionId: 2881778,
          portalId: 62515,
          appId: 1160452,
          occurredAt: nowSeconds * 1000,
          subscriptionType: event,
          attemptNumber: 0,
          objectId: 123,
          changeFlag: "NEW",
          changeSource: "CRM",
        },
      ]),
  },
  openapi: {
    description:
      "HubSpot (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256 of {method}{public URL}{body}{timestamp}>` with `X-HubSpot-Request-Timestamp` in milliseconds, within 300 s either way. The body is an array of events (`subscriptionType`, `eventId`); repeats are recognised by the signed body.",
    security: () => ({ type: "apiKey", header: SIGNATURE_HEADER }),
  },
});
