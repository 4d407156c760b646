/** `tributary sources`: the sources `send` can sign for, with their provider, queue and handshake. */
import { SOURCES } from "../config/sources";
import { providerByKind } from "../providers";
import type { Command } from "./command";
import { ExitCode, usageError } from "./http";
import { jsonLine } from "./output";
import { sendableNames } from "./sources";

export const sourcesCommand: Command = {
  name: "sources",
  summary: "list the sources send can sign for",
  help: `Usage: tributary sources [--json]

The sources of src/config/sources.ts whose provider has an example: the names \`tributary send\`
takes, each with its provider, queue, example event and handshake.`,
  options: { json: { type: "boolean" } },
  async run(positionals, values, { io }) {
    if (positionals.length) throw usageError("sources takes no arguments");
    for (const name of sendableNames()) {
      const source = SOURCES[name]!;
      const provider = providerByKind((source.auth as { kind: string }).kind)!;
      const row = {
        name,
        provider: provider.title,
        queue: source.queue,
        event: provider.sample?.event ?? null,
        handshake: provider.handshakeSample?.name ?? null,
      };
      io.out(
        values.json
          ? jsonLine(row)
          : [
              name.padEnd(12),
              row.provider.padEnd(20),
              (row.event ?? "-").padEnd(36),
              row.handshake ? `handshake: ${row.handshake}` : "",
            ]
              .join(" ")
              .trimEnd(),
      );
    }
    return ExitCode.OK;
  },
};
