/**
 * Printing what strangers wrote. Message bodies, event names, delivery ids and error texts come
 * from whoever sent the webhook: printed raw, an escape sequence could retitle the operator's
 * terminal, a carriage return overwrite a line, a bidi override reorder one. Everything that did
 * not come from the CLI itself goes through `printable` (human output) or `jsonLine` (--json, one
 * valid JSON document per line). Colour is for terminals only, and never with NO_COLOR.
 */

/**
 * What cannot reach a terminal as is: C0 controls (ESC, BEL, CR, LF, TAB…), DEL, C1 controls
 * (0x9B is a one-byte CSI), the bidi marks, embeddings, overrides and isolates, and the Unicode
 * line and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, minus C0, which JSON.stringify already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex = (char: string, width: number) => char.charCodeAt(0).toString(16).padStart(width, "0");

/** Text made inert for a terminal: unsafe characters as visible escapes (`\x1b`, `\r`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(
    UNSAFE,
    (char) => NAMED[char] ?? (char.charCodeAt(0) <= 0xff ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`),
  );
}

/** One line of JSON whose every unsafe character is a \u escape: still valid JSON, inert in a terminal. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}

/**
 * A JSON line with `rawJson` (valid JSON text) as `field`, keeping its bytes: big integers and
 * key order survive. Raw CR, LF and tab in valid JSON can only be whitespace between tokens, so
 * they become spaces, and the line stays one line.
 */
export function jsonLineWith(value: Record<string, unknown>, field: string, rawJson: string): string {
  const head = jsonLine(value);
  const inner = rawJson.replace(/[\n\r\t]/g, " ").replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
  return `${head.slice(0, -1)}${head === "{}" ? "" : ","}${JSON.stringify(field)}:${inner}}`;
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

const SGR = { bold: [1, 22], dim: [2, 22], green: [32, 39], yellow: [33, 39], red: [31, 39] } as const;

/** Colours for a stream: ANSI on a terminal, plain text otherwise or when NO_COLOR is set (https://no-color.org). */
export function palette(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): Palette {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR;
  const paint =
    ([open, close]: readonly [number, number]) =>
    (text: string) =>
      on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: paint(SGR.bold),
    dim: paint(SGR.dim),
    green: paint(SGR.green),
    yellow: paint(SGR.yellow),
    red: paint(SGR.red),
  };
}

/** Where a command writes: its lines, and the palette of each stream. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  colour: Palette;
  errColour: Palette;
}

export function processIo(): Io {
  // `tributary tail … | head`: the reader left, so there is nobody to print for; stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      process.exit(0);
    });
  }
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    colour: palette(process.stdout, process.env),
    errColour: palette(process.stderr, process.env),
  };
}
