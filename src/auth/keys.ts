/**
 * Gateway API keys. Only SHA-256 hashes are configured; a presented key is hashed and compared
 * against every configured hash in constant time, without an early exit, so neither timing nor
 * the order of keys tells an attacker anything.
 */
import type { KeyConfig, Scope } from "../config/schema";
import { toHex } from "../lib/encoding";

export type ApiKey = KeyConfig;

const encoder = new TextEncoder();

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(value));
  return toHex(new Uint8Array(digest));
}

/** Constant-time equality of two strings (lengths may leak; contents do not). */
export function timingSafeEqual(a: string, b: string): boolean {
  return timingSafeEqualBytes(encoder.encode(a), encoder.encode(b));
}

export function timingSafeEqualBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) {
    // Compare against itself so the work done does not depend on where the inputs differ.
    crypto.subtle.timingSafeEqual(left, left);
    return false;
  }
  return crypto.subtle.timingSafeEqual(left, right);
}

export async function findKey(keys: readonly KeyConfig[], presented: string): Promise<ApiKey | undefined> {
  const hash = await sha256Hex(presented);
  let match: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(hash, key.sha256)) match ??= key;
  }
  return match;
}

/** Operators inspect and clean what they administer: `admin` implies these. */
const IMPLIED_BY_ADMIN: ReadonlySet<Scope> = new Set(["peek", "purge"]);

export function allows(key: ApiKey, scope: Scope, queue?: string): boolean {
  if (!key.scopes.includes(scope) && !(IMPLIED_BY_ADMIN.has(scope) && key.scopes.includes("admin"))) return false;
  return queue === undefined || key.queues === "*" || key.queues.includes(queue);
}
