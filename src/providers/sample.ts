/**
 * What the providers' samples and signers share: fresh ids (so two sends are two deliveries, not
 * a duplicate), timestamps, and editing a JSON body where a credential travels inside it. Not for
 * the Worker: tests and the CLI build requests with these.
 */
import { toHex } from "../lib/encoding";

/** `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export const uuid = (): string => crypto.randomUUID();

/** A random positive integer below 2^53: ids providers send as numbers. */
export function randomInt(): number {
  const [high = 0, low = 0] = crypto.getRandomValues(new Uint32Array(2));
  return (high & 0x1fffff) * 2 ** 32 + low + 1;
}

export const isoAt = (nowSeconds: number): string => new Date(nowSeconds * 1000).toISOString();

export const JSON_TYPE = "application/json";
export const FORM_TYPE = "application/x-www-form-urlencoded";

export const isForm = (contentType: string | undefined): boolean =>
  (contentType ?? "").toLowerCase().startsWith(FORM_TYPE);

/**
 * `body` with `name` set to `value` (JSON text). A body without the field gets it spliced in
 * before its closing brace, so the rest keeps its exact bytes (big integers, key order); one that
 * has it is re-serialized. Throws a TypeError when the body is not a JSON object.
 */
export function withJsonField(body: string, name: string, value: string): string {
  const object = jsonObject(body);
  if (Object.hasOwn(object, name)) return JSON.stringify({ ...object, [name]: JSON.parse(value) });
  const close = body.lastIndexOf("}");
  const empty = Object.keys(object).length === 0;
  return `${body.slice(0, close)}${empty ? "" : ","}${JSON.stringify(name)}:${value}${body.slice(close)}`;
}

/** The body as a JSON object, or a TypeError. */
export function jsonObject(body: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new TypeError("the body must be JSON");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new TypeError("the body must be a JSON object");
  return data as Record<string, unknown>;
}
