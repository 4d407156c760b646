/**
 * ECDSA P-256 / SHA-256 with WebCrypto, for providers that sign with a private key and publish
 * the public one as base64 DER SubjectPublicKeyInfo (SendGrid). Senders encode signatures as
 * ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`; WebCrypto takes IEEE P1363 `r‖s`, so signatures
 * are converted here, strictly: anything but canonical DER of the right size is no signature.
 * Imported keys are cached per isolate.
 */
import { fromBase64, fromHex, toBase64, toHex } from "../lib/encoding";

/** Size of P-256's r and s (and of its coordinates). */
const P256_SCALAR_BYTES = 32;
/** The longest DER signature: SEQUENCE header (2) + two INTEGERs of header (2) and up to 33 bytes. */
const MAX_DER_SIGNATURE_BYTES = 2 + 2 * (2 + P256_SCALAR_BYTES + 1);
/** The shortest: both INTEGERs one byte long. */
const MIN_DER_SIGNATURE_BYTES = 2 + 2 * 3;
/** DER SPKI of a P-256 key, up to the uncompressed point (0x04 ‖ x ‖ y): id-ecPublicKey, prime256v1. */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
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

/** A P1363 `r‖s` signature as canonical DER, as senders send it (the inverse of derToP1363). */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  const integer = (half: Uint8Array) => {
    let start = 0;
    while (start < half.byteLength - 1 && half[start] === 0) start++;
    const magnitude = half.subarray(start);
    // A set high bit would read as negative: DER prefixes a zero byte.
    const bytes = (magnitude[0] ?? 0) & 0x80 ? [0, ...magnitude] : [...magnitude];
    return [0x02, bytes.length, ...bytes];
  };
  const body = [
    ...integer(signature.subarray(0, P256_SCALAR_BYTES)),
    ...integer(signature.subarray(P256_SCALAR_BYTES)),
  ];
  return Uint8Array.from([0x30, body.length, ...body]);
}

/** P-256's field prime and base point (SEC 2 §2.4.2; the curve's `a` is -3). */
const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = [
  0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
];
type Point = readonly [bigint, bigint] | null;

const mod = (a: bigint) => ((a % P) + P) % P;

function inverse(a: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a), P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0);
}

function add(p: Point, q: Point): Point {
  if (!p || !q) return p ?? q;
  const [x1, y1] = p;
  const [x2, y2] = q;
  if (x1 === x2 && mod(y1 + y2) === 0n) return null;
  const slope = x1 === x2 ? mod((3n * x1 * x1 - 3n) * inverse(2n * y1)) : mod((y2 - y1) * inverse(x2 - x1));
  const x3 = mod(slope * slope - x1 - x2);
  return [x3, mod(slope * (x1 - x3) - y1)];
}

/**
 * The public point of a private scalar, by double-and-add. WebCrypto in workerd imports a P-256
 * private key only with its public point (JWK x, y; PKCS #8 with the point), and senders hold the
 * scalar. Variable-time: for signing test requests with development keys, never for a secret
 * anyone could time.
 */
function publicPoint(scalar: bigint): readonly [bigint, bigint] {
  let result: Point = null;
  let addend: Point = G;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  if (!result) throw new TypeError("not a P-256 private key");
  return result;
}

/** A 32-byte JWK field (d, x, y): big-endian, base64url without padding. */
function jwkField(value: bigint): string {
  const bytes = fromHex(value.toString(16).padStart(2 * P256_SCALAR_BYTES, "0"))!;
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The `r‖s` signature of `data` with a private scalar (64 hex characters), as a sender makes it:
 * the signing side of the providers' descriptors (tests and the CLI), never verification.
 */
export async function ecdsaP256Sign(scalarHex: string, data: Uint8Array): Promise<Uint8Array> {
  const scalar = /^[0-9a-f]{64}$/i.test(scalarHex) ? BigInt(`0x${scalarHex}`) : 0n;
  if (scalar <= 0n || scalar >= N)
    throw new TypeError("a P-256 private key is its scalar: 64 hex characters, below the curve's order");
  const [x, y] = publicPoint(scalar);
  const jwk = { kty: "EC", crv: "P-256", d: jwkField(scalar), x: jwkField(x), y: jwkField(y) };
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, data));
}

const keyCache = new Map<string, Promise<CryptoKey | undefined>>();
const MAX_CACHED_KEYS = 256;

function importKey(spki: Uint8Array): Promise<CryptoKey | undefined> {
  const cacheKey = toHex(spki);
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    // A point off the curve is refused at import: it verifies nothing (never a 5xx).
    key = crypto.subtle
      .importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
      .catch(() => undefined);
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** True when any public key (rotation) verifies the `r‖s` signature over `data`; no early exit. */
export async function ecdsaP256VerifyAny(
  publicKeys: readonly Uint8Array[],
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
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
