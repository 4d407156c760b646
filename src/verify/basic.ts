/**
 * HTTP Basic credentials, configured as `user:password` pairs. Both sides are hashed before the
 * constant-time comparison so lengths do not leak either.
 */
import { sha256Hex, timingSafeEqual } from "../auth/keys";
import type { Secrets, VerifyInput } from "./input";
import { refuse, type VerifyResult, verified } from "./result";

export async function verifyBasic(credentials: Secrets, input: VerifyInput): Promise<VerifyResult> {
  const header = input.headers.get("authorization") ?? "";
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match?.[1]) return refuse("missing_credentials");
  let presented: string;
  try {
    presented = atob(match[1]);
  } catch {
    return refuse("missing_credentials");
  }
  const hash = await sha256Hex(presented);
  let ok = false;
  for (const pair of credentials) {
    if (timingSafeEqual(hash, await sha256Hex(pair))) ok = true;
  }
  return ok ? verified : refuse("unknown_credentials");
}
