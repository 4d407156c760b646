/**
 * Cloudflare Queues production limits (docs/api.md, "Limits"). The local simulator in
 * wrangler is more lenient, so the gateway enforces these itself on every path.
 * 1 KB = 1000 bytes here, as in Cloudflare's documentation.
 */
export const MAX_MESSAGE_BYTES = 128_000;
/** Internal metadata Cloudflare counts against every message. */
export const MESSAGE_OVERHEAD_BYTES = 100;
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256_000;
/** Delays (push, batch and retry): Cloudflare raised the cap from 12 h to 24 h in 2026. */
export const MAX_DELAY_SECONDS = 86_400;
export const DEFAULT_PULL_BATCH_SIZE = 5;
export const MAX_PULL_BATCH_SIZE = 100;
export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
export const MAX_VISIBILITY_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** Cloudflare documents no peek bounds of its own; peek reads like pull, so it takes pull's. */
export const DEFAULT_PEEK_BATCH_SIZE = DEFAULT_PULL_BATCH_SIZE;
export const MAX_PEEK_BATCH_SIZE = MAX_PULL_BATCH_SIZE;
/** Cap on a compatible-route request body: a full batch plus generous JSON escaping. */
export const MAX_API_REQUEST_BYTES = 1_048_576;

const encoder = new TextEncoder();

/** Bytes a message counts against the limits: its serialized body plus the overhead. */
export function messageBytes(body: string): number {
  return utf8Length(body) + MESSAGE_OVERHEAD_BYTES;
}

export function utf8Length(text: string): number {
  // Fast path: pure ASCII strings are their own length.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, control characters included.
  if (/^[\x00-\x7f]*$/.test(text)) return text.length;
  return encoder.encode(text).byteLength;
}
