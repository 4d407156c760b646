/**
 * Which request headers an envelope message carries: the provider's defaults plus the source's
 * allowlist, never credentials or signatures (the provider's own secret headers and every
 * provider's signature headers, whatever a source's allowlist says).
 */

import { PROVIDERS, providerOf, type SourceAuth } from "./index";

/** What the allowlist reads of a webhook source's configuration. */
export interface HeaderSource {
  auth: SourceAuth;
  /** Request headers the source's messages carry, beyond the provider's defaults. */
  headers: readonly string[];
}

/** Credentials, cookies and the gateway's own form fields, plus every provider's fixed signature headers. */
const NEVER = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "cf-turnstile-response",
  // Each provider's fixed signature headers (the configurable ones are read per source below).
  ...PROVIDERS.flatMap((p) => p.secretHeaders),
]);

const allowlists = new WeakMap<HeaderSource, string[]>();

/** The header names a source copies into envelope messages (computed once per source). */
export function headerAllowlist(source: HeaderSource): string[] {
  let list = allowlists.get(source);
  if (!list) {
    const provider = providerOf(source.auth);
    const configured = provider.configuredSecretHeaders?.(source.auth) ?? [];
    const secret = new Set([...provider.secretHeaders, ...configured].map((h) => h.toLowerCase()));
    list = safeHeaders(provider.headers, source.headers).filter((h) => !secret.has(h));
    allowlists.set(source, list);
  }
  return list;
}

/** The names in these lists, once each, minus credentials and every provider's signature headers. */
export function safeHeaders(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].filter((h) => !NEVER.has(h));
}

export function pickHeaders(headers: Headers, allowlist: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of allowlist) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}
