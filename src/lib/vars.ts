/**
 * Vars and secrets that hold JSON (or, for wrangler.toml tables, are already objects). A parse
 * failure names the variable, never its value, which may be a secret.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function jsonVar(raw: unknown, name: string, fallback: unknown): unknown {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== "string") return raw;
  if (raw.trim() === "") return fallback;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name}: not valid JSON`);
  }
}

/** A secret holding one value, or a JSON array of values (old and new, during rotation). */
export function secretList(raw: unknown, name: string): string[] {
  if (typeof raw !== "string" || raw.trim() === "") return [];
  const text = raw.trim();
  if (!text.startsWith("[")) return [text];
  const parsed = jsonVar(text, name, []);
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
    throw new ConfigError(`${name}: expected a secret or a JSON array of secrets`);
  }
  return parsed;
}
