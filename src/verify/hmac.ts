/**
 * HMAC with WebCrypto. Signatures are checked with `crypto.subtle.verify`, which compares in
 * constant time; imported keys are cached per isolate (importing is the expensive part). The
 * signing side (`hmacSign`) serves the providers' `sign`: tests and the CLI, never verification.
 */
export type HmacAlgorithm = "sha1" | "sha256" | "sha512";
export type SignatureEncoding = "hex" | "base64";

import { fromBase64, fromHex, toBase64, toHex } from "../lib/encoding";

const HASH: Record<HmacAlgorithm, string> = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 256;

export type SecretBytes = string | Uint8Array;

function importKey(secret: SecretBytes, algorithm: HmacAlgorithm): Promise<CryptoKey> {
  const raw = typeof secret === "string" ? encoder.encode(secret) : secret;
  const cacheKey = `${algorithm}:${typeof secret === "string" ? `s:${secret}` : `b:${toHex(secret)}`}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: HASH[algorithm] }, false, ["sign", "verify"]);
    keyCache.set(cacheKey, key);
  }
  return key;
}

export async function hmacVerify(
  algorithm: HmacAlgorithm,
  secret: SecretBytes,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await importKey(secret, algorithm), signature, data);
}

/** The HMAC of `data` with `secret`, as a sender computes it. */
export async function hmacSign(algorithm: HmacAlgorithm, secret: SecretBytes, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await importKey(secret, algorithm), data));
}

/** True when any secret (rotation) verifies any of the signatures. */
export async function hmacVerifyAny(
  algorithm: HmacAlgorithm,
  secrets: readonly SecretBytes[],
  data: Uint8Array,
  signatures: readonly Uint8Array[],
): Promise<boolean> {
  let ok = false;
  // No early exit: the time taken does not depend on which secret or signature matched.
  for (const secret of secrets) {
    for (const signature of signatures) {
      if (await hmacVerify(algorithm, secret, data, signature)) ok = true;
    }
  }
  return ok;
}

export function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function decodeSignature(text: string, encoding: SignatureEncoding): Uint8Array | undefined {
  return encoding === "hex" ? fromHex(text) : fromBase64(text);
}

export function encodeSignature(signature: Uint8Array, encoding: SignatureEncoding): string {
  return encoding === "hex" ? toHex(signature) : toBase64(signature);
}
