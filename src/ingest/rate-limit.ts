/** Optional per-source rate limit through a Workers rate-limiting binding. */
import { ConfigError } from "../config/vars";
import { fail, type Result, success } from "../lib/result";

/** The bindings' period is 10 or 60 s; telling senders to wait the longer one is always safe. */
const RETRY_AFTER_SECONDS = 60;

export async function checkRateLimit(env: Env, binding: string, key: string): Promise<Result<void>> {
  const limiter = (env as unknown as Record<string, RateLimit | undefined>)[binding];
  if (typeof limiter?.limit !== "function") throw new ConfigError(`rate_limit.binding: no rate-limiting binding named ${binding}`);
  const { success: allowed } = await limiter.limit({ key });
  return allowed ? success(undefined) : fail({ reason: "rate_limited", retryAfterSeconds: RETRY_AFTER_SECONDS });
}
