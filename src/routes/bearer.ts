/**
 * `Authorization: Bearer <gateway key>` for the queue and admin routes. Missing or unknown keys
 * answer 401 with `WWW-Authenticate`; a known key lacking the scope or queue answers 403.
 * Both use Cloudflare's authentication code (10000) so SDK clients react as they would upstream.
 */
import type { Context } from "hono";
import { type ApiKey, allows, findKey } from "../auth/keys";
import type { Scope } from "../auth/schemas";
import type { AppEnv } from "../config/env";
import { ErrorCode, GatewayError } from "../http/errors";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="tributary"' };

export async function authenticate<E extends AppEnv>(c: Context<E>): Promise<ApiKey> {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  const key = match?.[1] ? await findKey<ApiKey>(c.get("config").keys, match[1]) : undefined;
  if (!key) {
    c.set("log", { ...c.get("log"), auth: match ? "unknown_key" : "missing_key" });
    throw new GatewayError(401, ErrorCode.AUTHENTICATION, "Authentication error: a valid gateway API key is required", {
      headers: CHALLENGE,
    });
  }
  c.set("apiKey", key);
  c.set("log", { ...c.get("log"), key: key.name });
  return key;
}

export async function authorize<E extends AppEnv>(c: Context<E>, scope: Scope, queue?: string): Promise<ApiKey> {
  const key = await authenticate(c);
  if (!allows(key, scope, queue)) {
    throw new GatewayError(
      403,
      ErrorCode.AUTHENTICATION,
      `Forbidden: this key may not ${scope}${queue ? ` on queue "${queue}"` : ""}`,
    );
  }
  return key;
}
