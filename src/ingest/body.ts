/**
 * Reads a request body once, within the source's cap: the compressed size is capped while
 * streaming (Hono's bodyLimit; 413 before the rest is read), and a gzip/deflate body is inflated
 * chunk by chunk and abandoned as soon as it passes the same cap, so a decompression bomb costs
 * the Worker at most the cap.
 */
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { fail, type Result, success } from "./result";

type Compression = "gzip" | "deflate";

// A Map: a header like "__proto__" must not find anything.
const ENCODINGS = new Map<string, Compression | null>([
  ["identity", null],
  ["gzip", "gzip"],
  ["x-gzip", "gzip"],
  ["deflate", "deflate"],
]);

class TooLarge extends Error {}

export async function readBody<E extends AppEnv>(c: Context<E>, maxBytes: number): Promise<Result<Uint8Array>> {
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  const format = ENCODINGS.get(encoding);
  if (format === undefined) return fail({ reason: "unsupported_encoding", detail: encoding });

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

async function inflate(bytes: Uint8Array, format: Compression, maxBytes: number): Promise<Result<Uint8Array>> {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format)).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return fail({ reason: "decompressed_too_large", limit: maxBytes });
      }
      chunks.push(value);
    }
  } catch {
    return fail({ reason: "bad_compression" });
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return success(out);
}
