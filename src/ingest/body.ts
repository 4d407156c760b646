/**
 * Reads a request body once, within the source's cap. The compressed size is capped while
 * streaming (Hono's bodyLimit: 413 before the rest is read). Only sources that declare
 * `content_encodings` accept compressed bodies. They are inflated with zlib's own output limit
 * (`maxOutputLength`), which stops inflating as soon as the output passes the cap, so however
 * well a body compresses, the work and memory spent on it stay within a small constant of the
 * cap (`npm run bench:bomb` measures it). DecompressionStream cannot do this: workerd resolves
 * its writes before the output is read, so fed in slices or whole, it inflates everything.
 */
import { gunzipSync, inflateSync } from "node:zlib";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../config/env";
import type { ContentEncoding } from "../config/source-schema";
import { fail, type Result, success } from "../lib/result";

// A Map: a header like "__proto__" must not find anything.
const ENCODINGS = new Map<string, ContentEncoding | null>([
  ["identity", null],
  ["gzip", "gzip"],
  ["x-gzip", "gzip"],
  ["deflate", "deflate"],
]);

/** zlib's output buffer: the granularity at which the output limit is checked. */
const INFLATE_CHUNK_BYTES = 16 * 1024;

class TooLarge extends Error {}

export async function readBody<E extends AppEnv>(
  c: Context<E>,
  maxBytes: number,
  accepted: readonly ContentEncoding[],
): Promise<Result<Uint8Array>> {
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  const format = ENCODINGS.get(encoding);
  if (format === undefined || (format !== null && !accepted.includes(format)))
    return fail({ reason: "unsupported_encoding", accepted });

  let raw: ArrayBuffer | undefined;
  try {
    await bodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw new TooLarge();
      },
    })(c, async () => {
      raw = await c.req.arrayBuffer();
    });
  } catch (err) {
    if (err instanceof TooLarge) return fail({ reason: "body_too_large", limit: maxBytes });
    throw err;
  }
  const bytes = new Uint8Array(raw ?? new ArrayBuffer(0));
  return format ? inflate(bytes, format, maxBytes) : success(bytes);
}

/** Inflates `bytes`, giving up as soon as the output passes `maxBytes`. */
export function inflate(bytes: Uint8Array, format: ContentEncoding, maxBytes: number): Result<Uint8Array> {
  try {
    const options = { maxOutputLength: maxBytes + 1, chunkSize: INFLATE_CHUNK_BYTES };
    const out = format === "gzip" ? gunzipSync(bytes, options) : inflateSync(bytes, options);
    if (out.byteLength > maxBytes) return fail({ reason: "decompressed_too_large", limit: maxBytes });
    return success(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  } catch (err) {
    if (err instanceof RangeError) return fail({ reason: "decompressed_too_large", limit: maxBytes });
    return fail({ reason: "bad_compression" });
  }
}
