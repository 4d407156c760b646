/**
 * The exact source text of a top-level member of a JSON object, so a Segment batch's events are
 * carried as sent (src/ingest/json-split.ts then splits the `batch` array into its elements).
 * The input must already be valid JSON without duplicate keys (JSON.parse and
 * src/ingest/json-duplicates.ts checked it), so only structure is tracked.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

const isSpace = (ch: number) => ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d;
const opens = (ch: number) => ch === 0x7b /* { */ || ch === 0x5b; /* [ */
const closes = (ch: number) => ch === 0x7d /* } */ || ch === 0x5d; /* ] */

/** Index of the closing quote of the string that starts at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
  return i;
}

/** The value text of member `name` of the top-level object, or undefined when it has none. */
export function memberText(text: string, name: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const start = i;
      i = stringEnd(text, i);
      if (depth !== 1) continue;
      let colon = i + 1;
      while (isSpace(text.charCodeAt(colon))) colon++;
      // A key is followed by a colon; a string value is not. Keys are compared decoded ("\u0061" is "a").
      if (text.charCodeAt(colon) !== COLON || JSON.parse(text.slice(start, i + 1)) !== name) continue;
      return valueText(text, colon + 1);
    }
    if (opens(ch)) depth++;
    else if (closes(ch)) depth--;
  }
  return undefined;
}

/** The value starting at (or after whitespace from) `from`, up to the comma or brace that ends it. */
function valueText(text: string, from: number): string {
  let depth = 0;
  let i = from;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) i = stringEnd(text, i);
    else if (opens(ch)) depth++;
    else if (closes(ch)) {
      if (depth === 0) break;
      depth--;
    } else if (ch === COMMA && depth === 0) break;
  }
  return text.slice(from, i).trim();
}
