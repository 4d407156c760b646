/**
 * The console's response headers. Everything it shows from messages, dead letters and refusals
 * was written by strangers, so the page allows nothing but its own same-origin script and
 * stylesheet: no inline script or style, no other origin, no framing, no plugins, and Trusted
 * Types so that even a mistaken `innerHTML = string` throws instead of parsing markup.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** On every console response (page, script, stylesheet). */
export const CONSOLE_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  // The page holds no data (the script fetches it with the key), but a fresh script is what the page expects.
  "Cache-Control": "no-store",
};
