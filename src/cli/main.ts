/**
 * The command-line companion (`npx tributary …`, bin/tributary.mjs): sends signed test webhooks
 * with the providers' own descriptors, follows and drives queues. Parses the command line with
 * node:util's parseArgs and dispatches to one file per command.
 */
import { parseArgs } from "node:util";
import type { Command, Context } from "./command";
import { deadLettersCommand } from "./dead-letters";
import { CliError, ExitCode } from "./http";
import { printable, processIo } from "./output";
import { pullCommand, pushCommand } from "./pull";
import { sendCommand } from "./send";
import { sourcesCommand } from "./sources-command";
import { tailCommand } from "./tail";

const COMMANDS: readonly Command[] = [
  sendCommand,
  sourcesCommand,
  tailCommand,
  pullCommand,
  pushCommand,
  deadLettersCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: tributary <command> [options]   (tributary <command> --help for its options)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Exit codes: 0 ok · 1 refused by the gateway · 2 usage · 3 gateway unreachable · 70 a bug in the CLI.
Environment: TRIBUTARY_URL, TRIBUTARY_KEY, TRIBUTARY_DEV_VARS, NO_COLOR.`;
}

/** Runs one command line; answers the exit code. */
export async function main(argv: readonly string[], root: string): Promise<number> {
  const io = processIo();
  const context: Context = { root, env: process.env, io };
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(name === undefined ? help() : `tributary: unknown command "${printable(name)}"\n\n${help()}`);
    return ExitCode.USAGE;
  }
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...command.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new CliError((err as Error).message, ExitCode.USAGE, `tributary ${command.name} --help`);
    }
    if (parsed.values.help) {
      io.out(command.help);
      return ExitCode.OK;
    }
    return await command.run(parsed.positionals, parsed.values, context);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`${io.errColour.red(`tributary ${command.name}:`)} ${printable(err.message)}`);
    if (err.hint) io.err(`  ${printable(err.hint)}`);
    return err.exitCode;
  }
}
