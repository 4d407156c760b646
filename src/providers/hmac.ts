/**
 * Generic HMAC, for senders without a preset: the declarative scheme of src/verify/scheme.ts
 * (modelled on AWS EventBridge's WebhookHmacAuthConfiguration) in the source's configuration.
 * Delivery ids come from the unsigned `Idempotency-Key`, so repeats are recognised by the
 * signed body.
 */
import * as z from "zod";
import { success } from "../lib/result";
import { SignatureScheme, signScheme, verifyScheme } from "../verify/scheme";
import { credential, defineProvider, noIdentity, SecretName, SecretValues } from "./provider";
import { isoAt, uuid } from "./sample";

const encoder = new TextEncoder();

export const HmacAuth = SignatureScheme.extend({ kind: z.literal("hmac"), secret: SecretName, secrets: SecretValues });
export type HmacAuth = z.infer<typeof HmacAuth>;

export const hmac = defineProvider<HmacAuth>({
  kind: "hmac",
  title: "Generic HMAC",
  docs: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-webhooks.html",
  auth: HmacAuth,
  readsBody: true,
  async verify(auth, input) {
    const result = await verifyScheme(auth, auth.secrets, input);
    return result.ok ? success({}) : result;
  },
  // The source's own scheme, signed as its sender would.
  async sign(auth, credentials, request) {
    const input = { ...request, body: encoder.encode(request.body), headers: new Headers(request.headers) };
    return { headers: await signScheme(auth, credential(credentials, "secret"), input) };
  },
  sample: {
    // The gateway names no events for generic senders; `x-event-type` is forwarded where a source allows it.
    event: null,
    body: (_event, nowSeconds) => JSON.stringify({ kind: "ping", id: uuid(), sent_at: isoAt(nowSeconds) }),
    headers: () => ({ "x-event-type": "ping" }),
  },
  identify: () => noIdentity,
  delivery: "signed_body",
  headers: [],
  secretHeaders: [],
  configuredSecretHeaders: (auth) => [auth.header],
  openapi: {
    description:
      "Generic HMAC: a signature header (algorithm, hex or base64, prefix, list separator) over a template of `{timestamp}`, `{method}`, `{url}`, `{header:name}` and `{body}`; see the source's configuration.",
    security: (auth) => ({ type: "apiKey", header: auth.header }),
  },
});
