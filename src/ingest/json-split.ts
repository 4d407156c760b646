/**
 * Splits the text of a JSON array into the exact source text of each element, so batch elements
 * are carried as sent (big integers, key order, escapes) instead of being re-serialized.
 * The input must already be known to be valid JSON (JSON.parse succeeded on it).
 */
export function splitJsonArray(text: string): string[] {
  const start = text.indexOf("[");
  const items: string[] = [];
  let depth = 0;
  let inString = false;
  let itemStart = start + 1;
  for (let i = start + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) depth++;
    else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      if (depth === 0) {
        const last = text.slice(itemStart, i).trim();
        if (last) items.push(last);
        return items;
      }
      depth--;
    } else if (ch === 0x2c /* , */ && depth === 0) {
      items.push(text.slice(itemStart, i).trim());
      itemStart = i + 1;
    }
  }
  return items;
}
