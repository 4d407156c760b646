/**
 * Gateway API keys. Only SHA-256 hashes are configured; a presented key is hashed and compared
 * against every configured hash in constant time, without an early exit, so neither timing nor
 * the order of keys tells an attacker anything.
 */

import { toHex } from "../lib/encoding";
import type { KeyConfig, Scope } from "./schemas";

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

/** Configured secrets' SHA-256, computed once per isolate rather than on every request. */
const secretHashes = new Map<string, Promise<string>>();
const MAX_CACHED_SECRET_HASHES = 256;

function hashOfSecret(secret: string): Promise<string> {
  let hash = secretHashes.get(secret);
  if (!hash) {
    if (secretHashes.size >= MAX_CACHED_SECRET_HASHES) secretHashes.clear();
    hash = sha256Hex(secret);
    secretHashes.set(secret, hash);
  }
  return hash;
}

/**
 * True when `presented` equals one of the configured `secrets` (tokens, `user:password` pairs,
 * client states). Both sides are hashed first, so lengths do not leak either, and every secret is
 * compared: no early exit.
 */
export async function matchesAnySecret(presented: string, secrets: readonly string[]): Promise<boolean> {
  const hash = await sha256Hex(presented);
  let ok = false;
  for (const secret of secrets) if (timingSafeEqual(hash, await hashOfSecret(secret))) ok = true;
  return ok;
}

/** The configured key (gateway or write key) whose SHA-256 is the presented key's; every hash compared. */
export async function findKey<K extends { sha256: string }>(
  keys: readonly K[],
  presented: string,
): Promise<K | undefined> {
  const hash = await sha256Hex(presented);
  let match: K | undefined;
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
