/** What every command is: its name, its --help, its options (node:util parseArgs), and its run. */
import type { ParseArgsOptionsConfig } from "node:util";
import type { ExitCode } from "./http";
import type { Io } from "./output";

export interface Context {
  /** The project's directory (.dev.vars, src/). */
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  io: Io;
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  /** One line, for `tributary --help`. */
  summary: string;
  /** The command's --help: usage, what it does, options. */
  help: string;
  options: ParseArgsOptionsConfig;
  run(positionals: string[], values: Values, context: Context): Promise<ExitCode>;
}

/** Options shared by the commands that call the gateway. */
export const GATEWAY_OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
} as const satisfies ParseArgsOptionsConfig;

export const GATEWAY_HELP = `  --url URL     the gateway (default: TRIBUTARY_URL, else http://127.0.0.1:8787)
  --key KEY     a gateway key (default: TRIBUTARY_KEY, else the development key local-dev-key)
  --json        one JSON document per line, for scripts`;

export const text = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};
