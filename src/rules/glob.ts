/**
 * Event-name globs without regular expressions: `*` matches any run of characters (the empty run
 * too), nothing else is special. A pattern is split once into its literal pieces; matching
 * anchors the first piece at the start and the last at the end, then places each middle piece at
 * its leftmost occurrence after the previous one. Leftmost placement is always safe for `*`-only
 * globs (a later placement never leaves more room), so there is no backtracking: one pass of
 * `indexOf` per piece over a bounded pattern, whatever the input.
 */

/** A compiled pattern: one piece (no `*`, exact) or the pieces between stars (first and last may be ""). */
export interface Glob {
  readonly pieces: readonly string[];
  /** Characters the pieces need: a shorter name cannot match. */
  readonly minLength: number;
}

export const hasStar = (pattern: string): boolean => pattern.includes("*");

export function compileGlob(pattern: string): Glob {
  const pieces = pattern.split("*");
  return { pieces, minLength: pieces.reduce((n, piece) => n + piece.length, 0) };
}

export function globMatches(glob: Glob, name: string): boolean {
  const { pieces } = glob;
  if (pieces.length === 1) return name === pieces[0];
  if (name.length < glob.minLength) return false;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  const end = name.length - last.length;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (piece === "") continue;
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
