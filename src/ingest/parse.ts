/**
 * Turns verified body bytes into payload items: one for a plain body, one per element for a
 * batch (JSON array on a batch source, or NDJSON). JSON items keep their source text for
 * normalization; form bodies become objects (repeated fields become arrays).
 */

import type { SourceConfig } from "../config/source-schema";
import { toBase64 } from "../lib/encoding";
import type { MediaType } from "../lib/media";
import { fail, type Result, success } from "../lib/result";
import { splitJsonArray } from "./json-split";

/** Most messages one ingest request may carry: one upstream batch, so it is pushed atomically. */
export const MAX_ITEMS_PER_REQUEST = 100;

export type Item =
  | { kind: "json"; data: unknown; json: string }
  | { kind: "text"; data: string }
  | { kind: "form"; data: Record<string, unknown> };

export interface Parsed {
  items: Item[];
  batch: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function parseBody(
  bytes: Uint8Array,
  media: MediaType,
  contentType: string,
  source: SourceConfig,
): Promise<Result<Parsed>> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    if (media.kind !== "multipart") return fail({ reason: "bad_utf8" });
    text = "";
  }
  switch (media.kind) {
    case "json":
      return parseJson(text, source.batch);
    case "ndjson":
      return parseNdjson(text);
    case "text":
      return success({ items: [{ kind: "text", data: text }], batch: false });
    case "form":
      return success({ items: [{ kind: "form", data: fieldsToObject(new URLSearchParams(text)) }], batch: false });
    case "multipart":
      return parseMultipart(bytes, contentType, source.form?.max_file_bytes ?? 0);
  }
}

function parseJson(text: string, batch: boolean): Result<Parsed> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail({ reason: "malformed_json", detail: jsonErrorWhere(err) });
  }
  if (!batch || !Array.isArray(data))
    return success({ items: [{ kind: "json", data, json: text.trim() }], batch: false });
  if (data.length === 0) return fail({ reason: "empty_batch" });
  if (data.length > MAX_ITEMS_PER_REQUEST) return fail({ reason: "too_many_items", limit: MAX_ITEMS_PER_REQUEST });
  const texts = splitJsonArray(text);
  return success({
    items: data.map((element, i) => ({ kind: "json", data: element, json: texts[i] ?? JSON.stringify(element) })),
    batch: true,
  });
}

function parseNdjson(text: string): Result<Parsed> {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) return fail({ reason: "empty_batch" });
  if (lines.length > MAX_ITEMS_PER_REQUEST) return fail({ reason: "too_many_items", limit: MAX_ITEMS_PER_REQUEST });
  const items: Item[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      items.push({ kind: "json", data: JSON.parse(line), json: line });
    } catch (err) {
      return fail({
        reason: "malformed_json",
        detail: `line ${i + 1}${jsonErrorWhere(err) ? `, ${jsonErrorWhere(err)}` : ""}`,
      });
    }
  }
  return success({ items, batch: true });
}

async function parseMultipart(bytes: Uint8Array, contentType: string, maxFileBytes: number): Promise<Result<Parsed>> {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
  } catch {
    return fail({ reason: "malformed_body", detail: "multipart body could not be parsed" });
  }
  const fields = new URLSearchParams();
  const files = new Map<string, unknown>();
  for (const [name, value] of form) {
    if (typeof value === "string") {
      fields.append(name, value);
      continue;
    }
    if (maxFileBytes === 0 || value.size > maxFileBytes) return fail({ reason: "file_not_allowed" });
    files.set(name, {
      filename: value.name,
      type: value.type,
      size: value.size,
      base64: toBase64(new Uint8Array(await value.arrayBuffer())),
    });
  }
  return success({
    items: [{ kind: "form", data: Object.fromEntries([...Object.entries(fieldsToObject(fields)), ...files]) }],
    batch: false,
  });
}

/**
 * Where JSON.parse failed, without its message: V8 quotes the input around the error, and
 * nothing a client sent is echoed back (it may hold a secret pasted in the wrong place).
 */
function jsonErrorWhere(err: unknown): string {
  const message = err instanceof Error ? err.message : "";
  const position = /position (\d+)/.exec(message)?.[1];
  if (position) return `at position ${position}`;
  return /end of JSON input|Unterminated/i.test(message) ? "unexpected end" : "";
}

export function fieldsToObject(params: URLSearchParams): Record<string, unknown> {
  // A Map, then fromEntries: a field named "__proto__" stays an ordinary field.
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of params) {
    const existing = fields.get(name);
    fields.set(
      name,
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value],
    );
  }
  return Object.fromEntries(fields);
}
