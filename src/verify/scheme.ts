/**
 * A declarative HMAC signature scheme, modelled on AWS EventBridge's
 * `WebhookHmacAuthConfiguration`: where the signature is, how it is encoded, which timestamp is
 * signed and how the signed bytes are composed. Most providers' schemes are one value of it
 * (src/providers/*), and the generic `hmac` source exposes it for the long tail.
 *
 * Template placeholders: `{body}` (the raw bytes, exactly once), `{timestamp}` (as sent),
 * `{method}`, `{url}` (the public URL the sender signed) and `{header:name}`.
 *
 * Both sides are here: `verifyScheme` (the gateway) and `signScheme` (tests and the CLI, signing
 * as the provider does). They compose the signed bytes with the one function, `signedBytes`, so
 * what is signed and what is verified cannot drift apart.
 */
import * as z from "zod";
import { fromBase64 } from "../lib/encoding";
import { type Result, success, unauthorized } from "../lib/result";
import {
  concatBytes,
  decodeSignature,
  encodeSignature,
  type HmacAlgorithm,
  hmacSign,
  hmacVerifyAny,
  type SecretBytes,
} from "./hmac";
import { signatureList } from "./signature-list";
import { checkSeconds, checkTimestamp, TOLERANCE_SECONDS } from "./timestamp";

const Header = z.string().min(1).toLowerCase();

export const SignatureScheme = z.object({
  /** The header holding the signature(s). */
  header: Header,
  algorithm: z.enum(["sha1", "sha256", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  /** Text before the signature, or before the whole list: `sha256=`. */
  prefix: z.string().default(""),
  /** The header lists several entries split by this (`,` for `t=1,v1=ab`, ` ` for `v1,ab v1,cd`). */
  separator: z.string().min(1).optional(),
  /** With a separator: the marker of signature entries (`v1=`, `h1=`, `v1,`); others are ignored. */
  entry: z.string().default(""),
  /** The signed timestamp: its own header, or the marker of an entry of the signature header (`t=`). */
  timestamp_header: Header.optional(),
  timestamp_entry: z.string().min(1).optional(),
  timestamp_format: z.enum(["unix", "unix_ms", "iso8601"]).default("unix"),
  template: z.string().includes("{body}").default("{body}"),
  /** How a configured secret becomes key bytes; `secret_prefix` (`whsec_`) is dropped first. */
  secret_encoding: z.enum(["utf8", "base64"]).default("utf8"),
  secret_prefix: z.string().optional(),
  tolerance_seconds: z.number().int().min(1).max(86_400).default(TOLERANCE_SECONDS),
});
export type SignatureScheme = z.infer<typeof SignatureScheme>;
export type SignatureSchemeInput = z.input<typeof SignatureScheme>;

const PLACEHOLDER = /\{(timestamp|method|url|header:[a-z0-9-]+)\}/gi;
const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** What every verifier sees: the raw body bytes (read once), the request line and headers, and the clock. */
export interface VerifyInput {
  body: Uint8Array;
  headers: Headers;
  method: string;
  /** The URL the sender signed (the configured public base URL applied). */
  url: URL;
  nowSeconds: number;
}

/** A secret list from config: rotation means any of them may have signed the request. */
export type Secrets = readonly string[];

/** The key bytes of each configured secret (undefined where a secret does not decode). */
export function schemeKeys(
  scheme: Pick<SignatureScheme, "secret_encoding" | "secret_prefix">,
  secrets: Secrets,
): (SecretBytes | undefined)[] {
  // A source's secret list is one object for the configuration's life: decode it once.
  const form = `${scheme.secret_encoding}:${scheme.secret_prefix ?? ""}`;
  const decoded = decodedKeys.get(secrets) ?? new Map<string, (SecretBytes | undefined)[]>();
  decodedKeys.set(secrets, decoded);
  const keys = decoded.get(form) ?? decodeKeys(scheme, secrets);
  decoded.set(form, keys);
  return keys;
}

const decodedKeys = new WeakMap<Secrets, Map<string, (SecretBytes | undefined)[]>>();

function decodeKeys(
  scheme: Pick<SignatureScheme, "secret_encoding" | "secret_prefix">,
  secrets: Secrets,
): (SecretBytes | undefined)[] {
  return secrets.map((secret) => {
    const text =
      scheme.secret_prefix && secret.startsWith(scheme.secret_prefix)
        ? secret.slice(scheme.secret_prefix.length)
        : secret;
    if (scheme.secret_encoding === "utf8") return text;
    const bytes = fromBase64(text);
    return bytes?.byteLength ? bytes : undefined;
  });
}

export async function verifyScheme(
  scheme: SignatureScheme,
  secrets: Secrets,
  input: VerifyInput,
): Promise<Result<void>> {
  const raw = input.headers.get(scheme.header);
  if (!raw) return unauthorized("missing_signature");
  if (!raw.startsWith(scheme.prefix)) return unauthorized("malformed_signature");
  const text = raw.slice(scheme.prefix.length);
  const entries = scheme.separator ? text.split(scheme.separator).map((e) => e.trim()) : [text.trim()];

  let timestamp: string | null = null;
  if (scheme.timestamp_header) timestamp = input.headers.get(scheme.timestamp_header);
  else if (scheme.timestamp_entry) {
    const marker = scheme.timestamp_entry;
    timestamp = entries.find((e) => e.startsWith(marker))?.slice(marker.length) ?? null;
  }
  const length = DIGEST_BYTES[scheme.algorithm];
  const signatures = signatureList(raw, entries, (entry) => {
    if (!entry.startsWith(scheme.entry)) return undefined;
    const signature = decodeSignature(entry.slice(scheme.entry.length), scheme.encoding);
    return signature?.byteLength === length ? signature : undefined;
  });
  if (!signatures.ok) return signatures;

  if (scheme.timestamp_header || scheme.timestamp_entry || scheme.template.includes("{timestamp}")) {
    const time = checkSchemeTimestamp(scheme, timestamp, input.nowSeconds);
    if (!time.ok) return time;
  }
  const keys = schemeKeys(scheme, secrets).filter((k): k is SecretBytes => k !== undefined);
  if (!keys.length) return unauthorized("no_secret_configured");
  const signed = signedBytes(scheme, timestamp, input);
  return (await hmacVerifyAny(scheme.algorithm, keys, signed, signatures.value))
    ? success(undefined)
    : unauthorized("signature_mismatch");
}

/** The bytes a scheme's HMAC covers: its template, filled around the raw body. Signer and verifier both call this. */
export function signedBytes(
  scheme: SignatureScheme,
  timestamp: string | null,
  input: Pick<VerifyInput, "body" | "headers" | "method" | "url">,
): Uint8Array {
  const [before = "", after = ""] = scheme.template.split("{body}", 2);
  // One pass: a value filled in (a URL's query, a header) is never read again as a placeholder.
  const fill = (part: string) =>
    part.replace(PLACEHOLDER, (_, name: string) => {
      if (name === "timestamp") return timestamp ?? "";
      if (name === "method") return input.method;
      if (name === "url") return input.url.href;
      return input.headers.get(name.slice("header:".length)) ?? "";
    });
  const [head, tail] = [fill(before), fill(after)];
  // Most senders sign the body alone: no copy of it then.
  return head || tail ? concatBytes(head, input.body, tail) : input.body;
}

/** What a sender signs: the request as it will be sent, and the clock it stamps it with. */
export type SignInput = Pick<VerifyInput, "body" | "headers" | "method" | "url" | "nowSeconds">;

/**
 * Signs a request as a sender using `scheme` does: the headers to add (the signature header, and
 * the timestamp header where the scheme has one), with the newest secret. Throws a TypeError for
 * a secret the scheme cannot use or a scheme no sender could satisfy.
 */
export async function signScheme(
  scheme: SignatureScheme,
  secret: string,
  input: SignInput,
): Promise<Record<string, string>> {
  const [key] = schemeKeys(scheme, [secret]);
  if (key === undefined)
    throw new TypeError(
      `not a ${scheme.secret_encoding} secret${scheme.secret_prefix ? ` (${scheme.secret_prefix}…)` : ""}`,
    );
  if (scheme.timestamp_entry && !scheme.separator)
    throw new TypeError("the scheme's timestamp entry needs a separator");
  const sendsTime = Boolean(scheme.timestamp_header || scheme.timestamp_entry);
  if (!sendsTime && scheme.template.includes("{timestamp}"))
    throw new TypeError("the scheme signs a timestamp it does not send");
  const timestamp = sendsTime ? formatTimestamp(scheme.timestamp_format, input.nowSeconds) : null;
  const headers = new Headers(input.headers);
  if (scheme.timestamp_header && timestamp !== null) headers.set(scheme.timestamp_header, timestamp);
  const signature = encodeSignature(
    await hmacSign(scheme.algorithm, key, signedBytes(scheme, timestamp, { ...input, headers })),
    scheme.encoding,
  );
  const entries = [
    scheme.timestamp_entry && `${scheme.timestamp_entry}${timestamp}`,
    `${scheme.entry}${signature}`,
  ].filter(Boolean);
  return {
    [scheme.header]: scheme.prefix + entries.join(scheme.separator ?? ""),
    ...(scheme.timestamp_header && timestamp !== null && { [scheme.timestamp_header]: timestamp }),
  };
}

function formatTimestamp(format: SignatureScheme["timestamp_format"], nowSeconds: number): string {
  switch (format) {
    case "unix":
      return String(nowSeconds);
    case "unix_ms":
      return String(nowSeconds * 1000);
    case "iso8601":
      return new Date(nowSeconds * 1000).toISOString();
  }
}

function checkSchemeTimestamp(scheme: SignatureScheme, raw: string | null, nowSeconds: number): Result<void> {
  switch (scheme.timestamp_format) {
    case "unix":
      return checkTimestamp(raw, nowSeconds, scheme.tolerance_seconds);
    case "unix_ms": {
      if (!raw) return unauthorized("missing_timestamp");
      if (!/^\d{1,15}$/.test(raw)) return unauthorized("malformed_signature");
      return checkSeconds(Number(raw) / 1000, nowSeconds, scheme.tolerance_seconds);
    }
    case "iso8601": {
      if (!raw) return unauthorized("missing_timestamp");
      const ms = raw.length <= 64 ? Date.parse(raw) : Number.NaN;
      if (Number.isNaN(ms)) return unauthorized("malformed_signature");
      return checkSeconds(ms / 1000, nowSeconds, scheme.tolerance_seconds);
    }
  }
}
