/**
 * ECDSA P-256 / SHA-256 with WebCrypto, for providers that sign with a private key and publish
 * the public one as base64 DER SubjectPublicKeyInfo (SendGrid). Senders encode signatures as
 * ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`; WebCrypto takes IEEE P1363 `r‖s`, so signatures
 * are converted here, strictly: anything but canonical DER of the right size is no signature.
 * Imported keys are cached per isolate.
 */
import { fromBase64, toHex } from "../encoding";

/** Size of P-256's r and s (and of its coordinates). */
const P256_SCALAR_BYTES = 32;
/** The longest DER signature: SEQUENCE header (2) + two INTEGERs of header (2) and up to 33 bytes. */
const MAX_DER_SIGNATURE_BYTES = 2 + 2 * (2 + P256_SCALAR_BYTES + 1);
/** The shortest: both INTEGERs one byte long. */
const MIN_DER_SIGNATURE_BYTES = 2 + 2 * 3;
/** DER SPKI of a P-256 key, up to the uncompressed point (0x04 ‖ x ‖ y): id-ecPublicKey, prime256v1. */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
  0x04,
]);
const P256_SPKI_BYTES = P256_SPKI_PREFIX.byteLength + 2 * P256_SCALAR_BYTES;

/** The DER bytes of a base64 P-256 SubjectPublicKeyInfo, or undefined for anything else. */
export function p256PublicKey(base64: string): Uint8Array | undefined {
  const der = fromBase64(base64.trim());
  if (der?.byteLength !== P256_SPKI_BYTES) return undefined;
  return P256_SPKI_PREFIX.every((byte, i) => der[i] === byte) ? der : undefined;
}

/** A DER ECDSA-P256 signature as WebCrypto's `r‖s` (64 bytes), or undefined when it is not canonical DER. */
export function derToP1363(der: Uint8Array): Uint8Array | undefined {
  if (der.byteLength < MIN_DER_SIGNATURE_BYTES || der.byteLength > MAX_DER_SIGNATURE_BYTES) return undefined;
  // Short-form length covering exactly the rest (long forms are not DER below 128 bytes).
  if (der[0] !== 0x30 || der[1] !== der.byteLength - 2) return undefined;
  const out = new Uint8Array(2 * P256_SCALAR_BYTES);
  let offset = 2;
  for (const half of [0, 1]) {
    const length = der[offset + 1] ?? 0;
    const start = offset + 2;
    const end = start + length;
    if (der[offset] !== 0x02 || length < 1 || end > der.byteLength) return undefined;
    const value = der.subarray(start, end);
    const first = value[0] ?? 0;
    // Positive and minimal: a leading zero only where the next byte's high bit is set.
    if (first & 0x80 || (first === 0 && value.byteLength > 1 && !((value[1] ?? 0) & 0x80))) return undefined;
    const magnitude = first === 0 ? value.subarray(1) : value;
    if (magnitude.byteLength > P256_SCALAR_BYTES) return undefined;
    out.set(magnitude, half * P256_SCALAR_BYTES + P256_SCALAR_BYTES - magnitude.byteLength);
    offset = end;
  }
  return offset === der.byteLength ? out : undefined;
}

const keyCache = new Map<string, Promise<CryptoKey | undefined>>();
const MAX_CACHED_KEYS = 256;

function importKey(spki: Uint8Array): Promise<CryptoKey | undefined> {
  const cacheKey = toHex(spki);
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    // A point off the curve is refused at import: it verifies nothing (never a 5xx).
    key = crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]).catch(() => undefined);
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** True when any public key (rotation) verifies the `r‖s` signature over `data`; no early exit. */
export async function ecdsaP256VerifyAny(publicKeys: readonly Uint8Array[], data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  let ok = false;
  for (const spki of publicKeys) {
    const key = await importKey(spki);
    if (!key) continue;
    try {
      if (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data)) ok = true;
    } catch {
      // A signature WebCrypto cannot read is no signature.
    }
  }
  return ok;
}
