/**
 * HTTP Basic credentials, configured as `user:password` pairs. Both sides are hashed before the
 * constant-time comparison so lengths do not leak either.
 */
import { sha256Hex, timingSafeEqual } from "../auth/keys";
import type { Secrets, VerifyInput } from "./input";
import type { KeyCheck } from "./key";
import { refuse } from "./result";

// fatal: invalid UTF-8 is refused rather than replaced; ignoreBOM keeps every byte the client sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** On success the caller is the user name, which scopes its deduplication and rate limits. */
export async function verifyBasic(credentials: Secrets, input: VerifyInput): Promise<KeyCheck> {
  const header = input.headers.get("authorization") ?? "";
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match?.[1]) return { result: refuse("missing_credentials") };
  const presented = decodeCredentials(match[1]);
  if (presented === undefined) return { result: refuse("missing_credentials") };
  const hash = await sha256Hex(presented);
  let ok = false;
  for (const pair of credentials) {
    if (timingSafeEqual(hash, await sha256Hex(pair))) ok = true;
  }
  if (!ok) return { result: refuse("unknown_credentials") };
  return { result: { ok: true }, keyName: presented.split(":", 1)[0] };
}

/** Base64, then UTF-8 (what browsers and curl send); atob alone is Latin-1, so no non-ASCII password would match. */
function decodeCredentials(base64: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
