/**
 * HTTP Basic credentials, configured as `user:password` pairs (Postmark and many form tools send
 * them in the webhook URL). Both sides are hashed before the constant-time comparison, so
 * lengths do not leak either. Decoded as UTF-8, as browsers and curl send them. The caller is
 * the user name.
 */
import { matchesAnySecret } from "../auth/keys";
import { success, unauthorized } from "../lib/result";
import { defineProvider, noIdentity, secretAuth } from "./provider";

// fatal: invalid UTF-8 is refused rather than replaced; ignoreBOM keeps every byte the client sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const BasicAuth = secretAuth("basic");

export const basic = defineProvider({
  kind: "basic",
  title: "HTTP Basic",
  docs: "https://www.rfc-editor.org/rfc/rfc7617",
  auth: BasicAuth,
  readsBody: false,
  async verify(auth, input) {
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(input.headers.get("authorization") ?? "");
    const presented = match?.[1] ? decodeCredentials(match[1]) : undefined;
    if (presented === undefined) return unauthorized("missing_credentials");
    return (await matchesAnySecret(presented, auth.secrets))
      ? success({ caller: presented.split(":", 1)[0] })
      : unauthorized("unknown_credentials");
  },
  identify: () => noIdentity,
  delivery: "caller_id",
  headers: ["user-agent"],
  secretHeaders: [],
  openapi: {
    description: "HTTP Basic credentials (`user:password`, UTF-8).",
    security: () => ({ type: "http", scheme: "basic" }),
  },
});

/** Base64, then UTF-8; atob alone is Latin-1, so no non-ASCII password would match. */
function decodeCredentials(base64: string): string | undefined {
  try {
    return utf8.decode(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
