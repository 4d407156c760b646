/**
 * The local queue's peek refs. Opaque to clients, as Cloudflare's are, and deliberately not the
 * message id: code written against the gateway must not come to purge by id, which Cloudflare
 * does not allow. A ref names its queue, so one used on another queue deletes nothing there.
 * Format: base64url("r1:<queue>:<message id>"); the version lets the format change later.
 */
import { fromBase64Url, toBase64Url } from "../lib/encoding";

const VERSION = "r1";

export function encodeRef(queue: string, id: string): string {
  return toBase64Url(`${VERSION}:${queue}:${id}`);
}

/** The message id, when `ref` is one of this queue's refs (undefined for anything else). */
export function decodeRef(queue: string, ref: string): string | undefined {
  const [version, refQueue, id, ...rest] = fromBase64Url(ref)?.split(":") ?? [];
  return version === VERSION && refQueue === queue && id && rest.length === 0 ? id : undefined;
}
