/**
 * Meta (Graph API webhooks: WhatsApp Cloud API, Instagram, Messenger, Pages):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the app secret, over the raw
 * bytes (Meta escapes non-ASCII as \uXXXX: never re-serialize). No timestamp is signed.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 *
 * Subscribing, Meta sends `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`, unsigned:
 * the challenge is echoed only when the verify token (a second, developer-chosen secret) matches.
 * Anything else is not answered: the route's 404 (Meta's sample answers 403; to Meta any
 * answer but 200 with the challenge is a failed verification).
 *
 * Event and ids are inside the signed body only (`object`, `entry[].changes[].field`, message
 * ids deep in `entry`): no delivery id, so repeats are recognised by the signed body.
 */
import * as z from "zod";
import { matchesAnySecret } from "../auth/keys";
import { success } from "../lib/result";
import { SignatureScheme, signScheme, verifyScheme } from "../verify/scheme";
import { credential, defineProvider, field, SecretName, SecretValues, text } from "./provider";
import { randomHex } from "./sample";

const SCHEME = SignatureScheme.parse({ header: "x-hub-signature-256", prefix: "sha256=" });
const encoder = new TextEncoder();
/** Meta's challenges are short integers; anything longer is not Meta's and is not echoed. */
export const MAX_CHALLENGE_CHARS = 256;

export const MetaAuth = z.object({
  kind: z.literal("meta"),
  secret: SecretName,
  secrets: SecretValues,
  /** The Verify Token set in the App Dashboard beside the callback URL. */
  verify_token: SecretName,
  verify_tokens: SecretValues,
});
export type MetaAuth = z.infer<typeof MetaAuth>;

/** `object`, and the first change's `field` where there is one (`whatsapp_business_account.messages`); Messenger's `messaging` entries have none. */
function metaEvent(data: unknown): string | null {
  const object = field(data, "object");
  if (object === null) return null;
  const entries = (data as { entry?: unknown }).entry;
  const entry = Array.isArray(entries) ? (entries[0] as { changes?: unknown } | undefined) : undefined;
  const changes = typeof entry === "object" && entry !== null ? entry.changes : undefined;
  const change = Array.isArray(changes) ? field(changes[0], "field") : null;
  return change === null ? object : `${object}.${change}`;
}

export const meta = defineProvider<MetaAuth>({
  kind: "meta",
  title: "Meta",
  docs: "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
  auth: MetaAuth,
  secretFields: { secret: "secrets", verify_token: "verify_tokens" },
  readsBody: true,
  async verify(auth, input) {
    const result = await verifyScheme(SCHEME, auth.secrets, input);
    return result.ok ? success({}) : result;
  },
  async challenge(auth, { method, url }) {
    if (method !== "GET" && method !== "HEAD") return undefined;
    const query = url.searchParams;
    const challenge = query.get("hub.challenge");
    const token = query.get("hub.verify_token");
    if (query.get("hub.mode") !== "subscribe" || token === null || !challenge || challenge.length > MAX_CHALLENGE_CHARS)
      return undefined;
    return (await matchesAnySecret(token, auth.verify_tokens)) ? text(challenge) : undefined;
  },
  identify: (_headers, data) => ({ event: metaEvent(data), delivery_id: null }),
  delivery: "signed_body",
  headers: ["user-agent"],
  // The legacy SHA-1 signature Meta may still send beside the SHA-256 one.
  secretHeaders: [SCHEME.header, "x-hub-signature"],
  example: { auth: { kind: "meta", secret: "META_APP_SECRET", verify_token: "META_VERIFY_TOKEN" }, accept: ["json"] },
  async sign(_auth, credentials, request) {
    const input = { ...request, body: encoder.encode(request.body), headers: new Headers(request.headers) };
    return { headers: await signScheme(SCHEME, credential(credentials, "secret"), input) };
  },
  sample: {
    // `<object>.<field>`, as the gateway names Graph notifications.
    event: "whatsapp_business_account.messages",
    body: (event, nowSeconds) => {
      const [object = "whatsapp_business_account", change = "messages"] = (event ?? "").split(".");
      const message = {
        from: "16315551181",
        id: `wamid.${randomHex(16)}`,
        timestamp: String(nowSeconds),
        type: "text",
        text: { body: "this is a text message" },
      };
      const value = {
        messaging_product: "whatsapp",
        metadata: { display_phone_number: "16505551111", phone_number_id: "123456123" },
        messages: [message],
      };
      return JSON.stringify({ object, entry: [{ id: "102290129340398", changes: [{ field: change, value }] }] });
    },
    headers: () => ({ "user-agent": "facebookexternalua" }),
  },
  handshakeSample: {
    name: "hub.challenge",
    method: "GET",
    query: (challenge, credentials) => ({
      "hub.mode": "subscribe",
      "hub.verify_token": credential(credentials, "verify_token"),
      "hub.challenge": challenge,
    }),
  },
  openapi: {
    description:
      "Meta (https://developers.facebook.com/docs/graph-api/webhooks/getting-started): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the app secret; no timestamp, repeats are recognised by the signed body. `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` is answered 200 text/plain with the challenge when the verify token matches.",
    security: () => ({ type: "apiKey", header: SCHEME.header }),
  },
});
