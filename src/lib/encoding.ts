/** Hex and base64 for bytes: the one place the gateway converts them. */
import { Buffer } from "node:buffer";

// Buffer's native hex codec: a JavaScript loop over the bytes was 2 % of a webhook's CPU.
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const decoded = Buffer.from(text, "hex");
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

export function toBase64(bytes: Uint8Array | string): string {
  return (
    typeof bytes === "string"
      ? Buffer.from(bytes, "utf8")
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString("base64");
}

/** Strict: undefined for anything that is not canonical, padded base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** URL-safe base64 of UTF-8 text, unpadded (tokens clients hold on to and send back). */
export function toBase64Url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/** Strict: undefined unless `text` is exactly what toBase64Url gives for some text. */
export function fromBase64Url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const decoded = Buffer.from(text, "base64url").toString("utf8");
  return toBase64Url(decoded) === text ? decoded : undefined;
}
