/** Random identifiers: 32-hex message ids like Cloudflare's, and unguessable lease ids. */
import { toHex } from "./encoding";

export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export const newMessageId = (): string => randomHex(16);
export const newLeaseId = (): string => randomHex(32);
