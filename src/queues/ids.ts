/** Random identifiers: 32-hex message ids like Cloudflare's, and unguessable lease ids. */
export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

export const newMessageId = (): string => randomHex(16);
export const newLeaseId = (): string => randomHex(32);
