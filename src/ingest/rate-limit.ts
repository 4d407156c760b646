/**
 * Rate limits through Workers rate-limiting bindings: per source, keyed by the client's IP, the
 * app key's name, or (write-key sources) the end user, never by a public key alone. A public key
 * is shared by every install of an app: a per-key budget would let one device spend everyone's.
 */

import { toHex } from "../lib/encoding";
import { fail, type Result, success } from "../lib/result";
import { ConfigError } from "../lib/vars";

/** The bindings' period is 10 or 60 s; telling senders to wait the longer one is always safe. */
const RETRY_AFTER_SECONDS = 60;
/**
 * Distinct end users counted per request. A device's batch names one or two; a server's batch
 * may name thousands, and each counted user is one call to the limiter. Past this many, the
 * request is still counted against its IP.
 */
export const MAX_USERS_COUNTED_PER_REQUEST = 16;

const encoder = new TextEncoder();

export async function checkRateLimit(env: Env, binding: string, key: string): Promise<Result<void>> {
  const limiter = (env as unknown as Record<string, RateLimit | undefined>)[binding];
  if (typeof limiter?.limit !== "function")
    throw new ConfigError(`rate_limit.binding: no rate-limiting binding named ${binding}`);
  const { success: allowed } = await limiter.limit({ key });
  return allowed ? success(undefined) : fail({ reason: "rate_limited", retryAfterSeconds: RETRY_AFTER_SECONDS });
}

/**
 * Counts one request against each end user it names (the first MAX_USERS_COUNTED_PER_REQUEST),
 * keyed `user:<caller>:<SHA-256 of the user id>`: the ids are the client's to choose and of any
 * length, so the key holds a fixed-size hash of them.
 */
export async function checkUserLimits(
  env: Env,
  binding: string,
  caller: string,
  users: Iterable<string>,
): Promise<Result<void>> {
  const counted = new Set<string>();
  for (const user of users) {
    if (counted.size >= MAX_USERS_COUNTED_PER_REQUEST) break;
    counted.add(user);
  }
  for (const user of counted) {
    const hash = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(user)))).slice(0, 32);
    const limited = await checkRateLimit(env, binding, `user:${caller}:${hash}`);
    if (!limited.ok) return limited;
  }
  return success(undefined);
}
