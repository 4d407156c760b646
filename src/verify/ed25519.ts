/**
 * Ed25519 (RFC 8032, pure) with WebCrypto, for providers that sign with a private key and
 * publish the public one (Discord, Standard Webhooks `v1a`). The gateway holds no secret: a
 * leaked configuration lets nobody forge a request. Imported keys are cached per isolate.
 */
import { fromHex, toHex } from "../lib/encoding";

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** An Ed25519 private key is its 32-byte seed (RFC 8032). */
export const ED25519_SEED_BYTES = 32;
/** PKCS #8 DER of an Ed25519 private key, up to its seed (RFC 8410): how WebCrypto takes a seed. */
const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";

const keyCache = new Map<string, Promise<CryptoKey | undefined>>();
const MAX_CACHED_KEYS = 256;

function importKey(raw: Uint8Array): Promise<CryptoKey | undefined> {
  const cacheKey = toHex(raw);
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    // A key WebCrypto refuses verifies nothing (never a 5xx).
    key = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]).catch(() => undefined);
    keyCache.set(cacheKey, key);
  }
  return key;
}

async function verifyOne(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.byteLength !== ED25519_PUBLIC_KEY_BYTES || signature.byteLength !== ED25519_SIGNATURE_BYTES)
    return false;
  const key = await importKey(publicKey);
  if (!key) return false;
  try {
    return await crypto.subtle.verify("Ed25519", key, signature, data);
  } catch {
    return false;
  }
}

/**
 * The signature of `data` with a private seed (64 hex characters), as a sender makes it: the
 * signing side of the providers' descriptors (tests and the CLI), never verification.
 */
export async function ed25519Sign(seedHex: string, data: Uint8Array): Promise<Uint8Array> {
  const seed = fromHex(seedHex);
  if (seed?.byteLength !== ED25519_SEED_BYTES)
    throw new TypeError("an Ed25519 private key is its seed: 64 hex characters");
  const key = await crypto.subtle.importKey(
    "pkcs8",
    fromHex(PKCS8_ED25519_PREFIX + seedHex)!,
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("Ed25519", key, data));
}

/** True when any public key (rotation) verifies any of the signatures; no early exit. */
export async function ed25519VerifyAny(
  publicKeys: readonly Uint8Array[],
  data: Uint8Array,
  signatures: readonly Uint8Array[],
): Promise<boolean> {
  let ok = false;
  for (const publicKey of publicKeys) {
    for (const signature of signatures) {
      if (await verifyOne(publicKey, data, signature)) ok = true;
    }
  }
  return ok;
}
