/**
 * The one Hono environment type of the app: the HTTP helpers' part (src/http/env.ts) with the
 * request's configuration and the gateway key that authenticated it.
 */
import type { KeyConfig as ApiKey } from "../auth/schemas";
import type { HttpEnv } from "../http/env";
import type { GatewayConfig } from "./schema";

export interface AppEnv extends HttpEnv {
  Variables: HttpEnv["Variables"] & {
    config: GatewayConfig;
    apiKey?: ApiKey;
  };
}
