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
