/**
 * A provider descriptor: everything the gateway knows about one kind of sender, in one file
 * (src/providers/<kind>.ts). The configuration schema, the verifier, handshakes, how the sender
 * names its events and deliveries, which headers may be forwarded and which never, and the
 * OpenAPI text are all read from here; nothing else in the gateway names a provider.
 *
 * The sending side lives here too: `sign` signs a request as the provider does, and `sample` /
 * `handshakeSample` are small realistic requests. The Worker never calls them; the tests and the
 * CLI (`tributary send`) do, so the verifier and its counterpart share one definition.
 */
import * as z from "zod";
import type { KeyConfig } from "../auth/schemas";
import type { Result } from "../lib/result";
import type { VerifyInput } from "../verify/scheme";

export type { VerifyInput } from "../verify/scheme";

/** What a verified request tells about its sender. */
export interface Verified {
  /** The authenticated caller (a key's or a user's name), for key-like schemes. */
  caller?: string;
}

/** How a delivery is told apart from another (src/ingest/delivery.ts). */
export type DeliveryBasis = "signed_id" | "signed_body" | "caller_id" | "anonymous_id";

/** The provider's name for an event and its delivery id, read from a verified request. */
export interface Identity {
  event: string | null;
  delivery_id: string | null;
}

/** A synchronous answer to a handshake: sent as is, nothing is enqueued. */
export interface HandshakeAnswer {
  status: 200 | 204;
  /** `application/json`, `text/plain`…; omitted for 204. */
  contentType?: string;
  body: string;
}

/** What a verifier may need beyond the request: the gateway's keys, and the source's queue. */
export interface VerifyContext {
  keys: readonly KeyConfig[];
  queue: string;
}

export interface ChallengeRequest {
  method: string;
  url: URL;
  headers: Headers;
  nowSeconds: number;
}

/**
 * What a sender holds, by the `auth` field naming it (`secret`, `signing_token`, `verify_token`,
 * `public_key`): the shared secret, or the private key of a public one the gateway has.
 */
export type Credentials = Readonly<Record<string, string>>;

/** A request about to be signed. */
export interface SignRequest {
  method: string;
  /** The URL the provider signs: the source's public URL (`public_base_url` + path) where it has one. */
  url: URL;
  /** The request's headers before signing (lower-case names): content type, the provider's unsigned headers. */
  headers: Readonly<Record<string, string>>;
  body: string;
  nowSeconds: number;
}

/** What signing adds to a request. */
export interface SignedRequest {
  /** Signatures, signed timestamps, credentials. */
  headers: Record<string, string>;
  /** The body to send instead, where the credential travels in it (Mailgun, Graph, Linear's signed timestamp). */
  body?: string;
  /** The URL to send to instead (its query), where signing adds to it (Twilio's `bodySHA256`). */
  url?: URL;
}

/** A small, realistic delivery of the provider's, fresh (new ids) at every call. */
export interface Sample {
  /** The event it is, as the gateway names it (the envelope's `event`); null where the provider names none. */
  event: string | null;
  /** `application/json` unless said otherwise. */
  contentType?: string;
  /** The payload of `event` (`--event` may name another), as the provider sends it at `nowSeconds`. */
  body(event: string | null, nowSeconds: number): string;
  /** The provider's unsigned headers beside it: event names, delivery ids. */
  headers?(event: string | null): Record<string, string>;
}

/** The provider's endpoint check (a challenge, a validation, a PING), as it sends it. */
export interface HandshakeSample {
  /** The provider's name for it, for people: `hub.challenge`, `url_verification`. */
  name: string;
  method: "GET" | "HEAD" | "POST";
  /** Its query; `challenge` is a fresh random token. */
  query?(challenge: string, credentials: Credentials): Record<string, string>;
  /** Its body, signed with `sign` as deliveries are (Slack, Zoom, Twitch, Discord); none: unsigned. */
  body?(challenge: string, nowSeconds: number): string;
  contentType?: string;
  headers?(): Record<string, string>;
}

export interface Provider<A extends { kind: string } = { kind: string }> {
  kind: A["kind"];
  title: string;
  /** The provider documentation this descriptor follows. */
  docs: string;
  /** The source's `auth` options for this kind (secrets are resolved before parsing). */
  auth: z.ZodType<A>;
  /** `auth` options naming a Worker secret, and the field that receives its values. */
  secretFields?: Readonly<Record<string, string>>;
  /** False for schemes that read only headers: they authenticate before the body is read. */
  readsBody: boolean;
  verify(auth: A, input: VerifyInput, context: VerifyContext): Promise<Result<Verified>>;
  /**
   * Requests answered before any body is read, from the request line alone: GET challenges
   * (Meta, Dropbox, X) and unsigned validations (Microsoft Graph's validationToken). Undefined
   * means "not a challenge": the request goes on (a POST) or is refused (a GET).
   */
  challenge?(auth: A, request: ChallengeRequest): Promise<HandshakeAnswer | undefined>;
  /** Signed requests that are handshakes, not events (Slack, Zoom, Twitch, Discord): answered after verification. */
  handshake?(auth: A, data: unknown, headers: Headers): Promise<HandshakeAnswer | undefined>;
  identify(headers: Headers, data: unknown): Identity;
  delivery: DeliveryBasis;
  /** Request headers copied into envelope messages by default. */
  headers: readonly string[];
  /** Headers never copied into a message, whatever a source's allowlist says. */
  secretHeaders: readonly string[];
  /** Secret headers a source configures (the generic HMAC's signature header, a key's header). */
  configuredSecretHeaders?(auth: A): readonly string[];
  /**
   * The development source named after the provider (`npm run dev`, into the `webhooks` queue):
   * its auth options (secrets by name, from .dev.vars.example) and the bodies it accepts.
   * Generic kinds (hmac, key, basic, none) have none: their sources are configured.
   */
  example?: { auth: Record<string, unknown>; accept: readonly ("json" | "text" | "form" | "multipart" | "ndjson")[] };
  /**
   * Signs a request as the provider does, with the sender's credentials (`auth` is the source's,
   * for schemes it configures). Throws a TypeError when a credential is missing or unusable.
   * Not for the Worker: tests and the CLI.
   */
  sign?(auth: A, credentials: Credentials, request: SignRequest): Promise<SignedRequest>;
  sample?: Sample;
  handshakeSample?: HandshakeSample;
  /** `auth` fields naming a public key: a sender signs with its private half, not with the value. */
  publicKeys?: readonly string[];
  openapi: {
    /** One paragraph: the scheme, the tolerance, the handshake. */
    description: string;
    /** The OpenAPI security scheme: a signature header (apiKey) or HTTP auth. */
    security(auth: A): { type: "apiKey"; header: string } | { type: "http"; scheme: "bearer" | "basic" } | undefined;
  };
}

/** Widens a typed descriptor for the registry (each provider's `auth` type is its own). */
export const defineProvider = <A extends { kind: string }>(provider: Provider<A>): Provider<A> => provider;

/** Name of a Worker secret holding one value, or a JSON array of them (rotation). */
export const SecretName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "a secret's variable name, like GITHUB_WEBHOOK_SECRET");
/** The resolved values: at least one. */
export const SecretValues = z
  .array(z.string().min(1))
  .min(1, "the named secret is empty or not set (wrangler secret put / .dev.vars)");
export const Tolerance = z.number().int().min(1).max(3600);

/** `{kind, secret, secrets}`: the auth options of a scheme keyed by one secret list. */
export const secretAuth = <K extends string>(kind: K) =>
  z.object({ kind: z.literal(kind), secret: SecretName, secrets: SecretValues });

/** A JSON field by path, as text (numbers included), or null. */
export function field(data: unknown, ...path: string[]): string | null {
  let value: unknown = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

/** The credential `field` names, or a TypeError saying which is missing. */
export function credential(credentials: Credentials, field: string): string {
  const value = credentials[field];
  if (!value) throw new TypeError(`no credential for \`${field}\``);
  return value;
}

/** Where `npm run dev` listens: the public URL of the development sources that sign URLs. */
export const DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8787";

export const noIdentity: Identity = { event: null, delivery_id: null };

/** Standard answers to handshakes. */
export const json = (value: unknown): HandshakeAnswer => ({
  status: 200,
  contentType: "application/json",
  body: JSON.stringify(value),
});
export const text = (body: string): HandshakeAnswer => ({
  status: 200,
  contentType: "text/plain; charset=utf-8",
  body,
});
export const noContent: HandshakeAnswer = { status: 204, body: "" };
