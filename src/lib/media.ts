/** Maps a request's Content-Type to the body kinds a source can accept. */

/** The body kinds a source may accept (the source schema's `accept` enum is built from this list). */
export const BODY_KINDS = ["json", "text", "form", "multipart", "ndjson"] as const;
export type BodyKind = (typeof BODY_KINDS)[number];

export interface MediaType {
  kind: BodyKind;
  /** The media type without parameters, as recorded in envelope messages. */
  type: string;
}

export function mediaType(header: string | undefined): MediaType | undefined {
  const type = header?.split(";")[0]?.trim().toLowerCase();
  if (!type) return undefined;
  if (type === "application/json" || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(type)) return { kind: "json", type };
  if (type === "application/x-ndjson" || type === "application/jsonl" || type === "application/jsonlines")
    return { kind: "ndjson", type };
  if (type === "application/x-www-form-urlencoded") return { kind: "form", type };
  if (type === "multipart/form-data") return { kind: "multipart", type };
  if (/^text\/[a-z0-9.+-]+$/.test(type)) return { kind: "text", type };
  return undefined;
}
