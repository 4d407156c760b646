/**
 * Finds the first duplicate key in a JSON text. `JSON.parse` keeps the last of two equal keys;
 * other parsers keep the first. A source that validates a payload and then forwards its original
 * text must refuse duplicates, or a consumer whose parser keeps the first copy would read values
 * the schema never saw. Runs on text JSON.parse already accepted, so it only tracks structure.
 */
type Frame = { kind: "object"; keys: Set<string>; key: string; expectKey: boolean } | { kind: "array"; index: number };

/** The path of the first repeated key (ending with that key), or undefined when there is none. */
export function duplicateKeyPath(text: string): (string | number)[] | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const top = stack.at(-1);
      if (top?.kind !== "object" || !top.expectKey) continue;
      // Decoded, so "a" and "\u0061" are the same key.
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (top.keys.has(key)) return [...stack.slice(0, -1).map(step), key];
      top.keys.add(key);
      top.key = key;
      top.expectKey = false;
    } else if (ch === 0x7b /* { */) stack.push({ kind: "object", keys: new Set(), key: "", expectKey: true });
    else if (ch === 0x5b /* [ */) stack.push({ kind: "array", index: 0 });
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) stack.pop();
    else if (ch === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.kind === "object") top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}

const step = (frame: Frame): string | number => (frame.kind === "object" ? frame.key : frame.index);
