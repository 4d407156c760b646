/**
 * Turning JSON text into a value for APIs that only take values (the queue producer binding)
 * without losing what JSON.parse would: integers beyond 2^53 are kept as their source text with
 * JSON.rawJSON, so they serialize back digit for digit.
 */
type RawJson = (text: string) => unknown;
type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;

const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

/** 16 digits in a row: the shortest run that can hold an integer beyond 2^53 (9007199254740992). */
const LONG_DIGITS = /\d{16}/;

export function parseExact(text: string): unknown {
  // A reviver runs for every value (a third of a push's CPU): only text that may need it gets one.
  if (!rawJSON || !LONG_DIGITS.test(text)) return JSON.parse(text);
  const reviver: SourceReviver = (_key, value, context) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context.source !== undefined &&
    /^-?\d+$/.test(context.source)
      ? rawJSON(context.source)
      : value;
  return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
}
