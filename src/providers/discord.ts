/**
 * Discord interactions and webhook events: `X-Signature-Ed25519: <hex>`, Ed25519 over
 * `{X-Signature-Timestamp}{body}` with the application's public key (64 hex characters, from
 * the Developer Portal). https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint
 * https://discord.com/developers/docs/events/webhook-events
 * Discord documents no tolerance for the timestamp; the gateway applies its usual 300 s either
 * way, so a captured request cannot be replayed later. Discord probes endpoints with bad
 * signatures: those get the generic 401, PINGs included. PINGs are answered after verification:
 * an interaction PING (`type: 1`) with a PONG, a webhook-event PING (`type: 0`) with 204.
 * Interactions name the delivery by their signed `id`; webhook events carry no id, so repeats
 * are recognised by the signed body (which, for an interaction, holds its id). Accepted
 * deliveries get the gateway's 202; Discord asks for 204 on events and an interaction response
 * within 3 s, so a source facing Discord sets `response` (`{status: 204}` for webhook events,
 * a deferred `{"type":5}` for commands).
 */
import * as z from "zod";
import { fromHex, toHex } from "../lib/encoding";
import { success, unauthorized } from "../lib/result";
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, ed25519Sign, ed25519VerifyAny } from "../verify/ed25519";
import { concatBytes } from "../verify/hmac";
import { checkTimestamp, TOLERANCE_SECONDS } from "../verify/timestamp";
import { credential, defineProvider, field, json, noContent, SecretName, SecretValues, Tolerance } from "./provider";
import { isoAt, randomInt } from "./sample";

/** Discord's ids are snowflakes: integers sent as strings. */
const snowflake = () => String(randomInt());

const SIGNATURE_HEADER = "x-signature-ed25519";
const TIMESTAMP_HEADER = "x-signature-timestamp";
/** Interaction type PING, answered with the response type PONG (also 1). */
const INTERACTION_PING = 1;
const PONG = 1;
/** Webhook type PING; webhook events (type 1) wrap the event in `event`. */
const WEBHOOK_PING = 0;

const publicKey = (hex: string) => {
  const bytes = fromHex(hex);
  return bytes?.byteLength === ED25519_PUBLIC_KEY_BYTES ? bytes : undefined;
};

export const DiscordAuth = z
  .object({
    kind: z.literal("discord"),
    /** Names the Worker secret holding the application's public key (a JSON array of keys while rotating). */
    secret: SecretName,
    secrets: SecretValues,
    tolerance_seconds: Tolerance.optional(),
  })
  .superRefine((auth, ctx) => {
    for (const [i, key] of auth.secrets.entries()) {
      if (!publicKey(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i],
          message: `${auth.secret} is not a Discord public key (64 hex characters)`,
        });
      }
    }
  });
export type DiscordAuth = z.infer<typeof DiscordAuth>;

const typeOf = (data: unknown): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>).type : undefined;
const isWebhookEvent = (data: unknown) => typeof data === "object" && data !== null && Object.hasOwn(data, "event");

export const discord = defineProvider<DiscordAuth>({
  kind: "discord",
  title: "Discord",
  docs: "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint",
  auth: DiscordAuth,
  readsBody: true,
  async verify(auth, input) {
    const header = input.headers.get(SIGNATURE_HEADER);
    if (!header) return unauthorized("missing_signature");
    const signature = header.length === 2 * ED25519_SIGNATURE_BYTES ? fromHex(header) : undefined;
    if (!signature) return unauthorized("malformed_signature");
    const timestamp = input.headers.get(TIMESTAMP_HEADER);
    const time = checkTimestamp(timestamp, input.nowSeconds, auth.tolerance_seconds ?? TOLERANCE_SECONDS);
    if (!time.ok) return time;
    const keys = auth.secrets.map(publicKey).filter((key) => key !== undefined);
    const signed = concatBytes(timestamp ?? "", input.body);
    return (await ed25519VerifyAny(keys, signed, [signature])) ? success({}) : unauthorized("signature_mismatch");
  },
  async handshake(_auth, data) {
    const type = typeOf(data);
    if (type === WEBHOOK_PING) return noContent;
    if (type === INTERACTION_PING && !isWebhookEvent(data)) return json({ type: PONG });
    return undefined;
  },
  identify(_headers, data) {
    if (isWebhookEvent(data)) return { event: field(data, "event", "type"), delivery_id: null };
    const type = field(data, "type");
    return { event: type === null ? null : `interaction:${type}`, delivery_id: field(data, "id") };
  },
  delivery: "signed_body",
  headers: [TIMESTAMP_HEADER, "user-agent"],
  secretHeaders: [SIGNATURE_HEADER],
  example: { auth: { kind: "discord", secret: "DISCORD_PUBLIC_KEY" }, accept: ["json"] },
  async sign(_auth, credentials, request) {
    const timestamp = String(request.nowSeconds);
    const signature = await ed25519Sign(credential(credentials, "secret"), concatBytes(timestamp, request.body));
    return { headers: { [SIGNATURE_HEADER]: toHex(signature), [TIMESTAMP_HEADER]: timestamp } };
  },
  publicKeys: ["secret"],
  sample: {
    // A webhook event (type 1), named by its `event.type`.
    event: "APPLICATION_AUTHORIZED",
    body: (event, nowSeconds) =>
      JSON.stringify({
        version: 1,
        application_id: "1234560123453231555",
        type: 1,
        event: {
          type: event,
          timestamp: isoAt(nowSeconds),
          data: {
            integration_type: 0,
            scopes: ["applications.commands"],
            user: { id: snowflake(), username: "wumpus" },
          },
        },
      }),
  },
  handshakeSample: {
    name: "PING",
    method: "POST",
    body: () =>
      JSON.stringify({
        id: snowflake(),
        application_id: "1234560123453231555",
        type: INTERACTION_PING,
        token: "A_UNIQUE_TOKEN",
        version: 1,
      }),
  },
  openapi: {
    description:
      "Discord (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint): `X-Signature-Ed25519: <hex Ed25519 signature of {X-Signature-Timestamp}{body}>` with the application's public key, timestamp within 300 s either way (the gateway's choice: Discord documents none). Interaction PINGs are answered 200 `{\"type\":1}`, webhook-event PINGs 204, after verification, and not enqueued; interactions are named `interaction:<type>` with their `id`, webhook events by `event.type`.",
    security: () => ({ type: "apiKey", header: SIGNATURE_HEADER }),
  },
});
