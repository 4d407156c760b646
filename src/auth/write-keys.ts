/**
 * Write keys: publishable keys, made to be embedded in web and mobile apps (Segment's "write
 * key"). Anyone who has the app has the key, so a write key proves nothing about who sends: it
 * only names the one source it may push to. It cannot pull, ack, administer, or reach any
 * other source or route; its source is rate limited per client, never per key. Gateway keys
 * (src/auth/keys.ts) stay secret, for servers. Configured like them, as SHA-256 hashes; the
 * presented key is hashed and compared against every hash in constant time.
 */
import * as z from "zod";
import { findKey } from "./keys";
import type { WriteKeyConfig } from "./schemas";

/** A source's `auth` for write keys: the keys naming the source authenticate it (config `write_keys`). */
export const WriteKeyAuth = z.object({ kind: z.literal("write_key") });
export type WriteKeyAuth = z.infer<typeof WriteKeyAuth>;

// fatal: invalid UTF-8 is refused rather than replaced.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The write key of `Authorization: Basic base64(writeKey:)`, as Segment's libraries send it (the
 * password is empty and ignored). Null without the header; undefined when it is not such Basic
 * credentials.
 */
export function basicWriteKey(header: string | null): string | null | undefined {
  if (header === null) return null;
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Uint8Array.from(atob(match[1]), (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const user = decoded.split(":", 1)[0];
  return user ? user : undefined;
}

export function findWriteKey(keys: readonly WriteKeyConfig[], presented: string): Promise<WriteKeyConfig | undefined> {
  return findKey(keys, presented);
}
