/**
 * `tributary dead-letters <queue> [list|replay|delete]`: the buffer's dead letters (messages the
 * upstream refused permanently) over the admin routes: listed page by page, replayed into the
 * buffer, or deleted. Deleting every letter takes --all, so a missing --ids never deletes them all.
 */

import * as z from "zod";
import { DeadLetterEntry } from "../buffer/schemas";
import { type Command, GATEWAY_HELP, GATEWAY_OPTIONS, text } from "./command";
import { api, apiPage, ExitCode, type Gateway, gatewayKey, gatewayUrl, usageError } from "./http";
import { jsonLine, printable } from "./output";

/** Letters per page asked for; the gateway also caps a page at about 1 MB. */
const PAGE_LETTERS = 100;
/** Characters of a letter's body shown on its line. */
const PREVIEW_CHARS = 160;

const Count = z.object({ count: z.number() });

const ACTIONS = ["list", "replay", "delete"] as const;

const path = (queue: string, rest = "") => `/admin/queues/${encodeURIComponent(queue)}/dead-letters${rest}`;

/** One page of letters, and the cursor of the next (null after the last). */
function page(gateway: Gateway, queue: string, cursor: string | null) {
  const query = new URLSearchParams({ limit: String(PAGE_LETTERS), ...(cursor && { cursor }) });
  return apiPage(gateway, `${path(queue)}?${query}`, undefined, z.array(DeadLetterEntry));
}

export const deadLettersCommand: Command = {
  name: "dead-letters",
  summary: "list, replay or delete a queue's dead letters (admin)",
  help: `Usage: tributary dead-letters <queue> [list|replay|delete] [--ids ID,ID…] [--all] [--json] [--url URL] [--key KEY]

The letters the queue's buffer could not push upstream (refused permanently, e.g. too large).
  list     every letter, page after page (the default)
  replay   put them back into the buffer, to be pushed again: --ids, or all of them
  delete   drop them: --ids, or --all

  --ids ID,ID   the letters to act on (their ids, as listed)
  --all         delete every letter
${GATEWAY_HELP}
Needs a key with the admin scope on the queue.`,
  options: { ...GATEWAY_OPTIONS, ids: { type: "string" }, all: { type: "boolean" } },
  async run(positionals, values, { env, io }) {
    const [queue, action = "list", ...extra] = positionals;
    if (!queue || extra.length || !ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw usageError(
        "dead-letters takes a queue and an action",
        "tributary dead-letters <queue> [list|replay|delete]",
      );
    }
    const gateway: Gateway = { base: gatewayUrl(text(values, "url"), env), ...gatewayKey(text(values, "key"), env) };
    const ids = text(values, "ids")
      ?.split(",")
      .map((id) => id.trim())
      .filter(Boolean);

    if (action === "list") {
      let cursor: string | null = null;
      let count = 0;
      do {
        const next = await page(gateway, queue, cursor);
        for (const letter of next.result) {
          count++;
          if (values.json) io.out(jsonLine(letter));
          else {
            const body = letter.body.length > PREVIEW_CHARS ? `${letter.body.slice(0, PREVIEW_CHARS)}…` : letter.body;
            const when = new Date(letter.failed_at).toISOString();
            io.out(
              `${printable(letter.id)}  ${io.colour.dim(`shard ${letter.shard}  failed ${when}`)}  ${io.colour.red(printable(letter.error))}  ${printable(body)}`,
            );
          }
        }
        cursor = next.cursor;
      } while (cursor);
      if (!values.json) io.err(io.errColour.dim(`${count} dead letter${count === 1 ? "" : "s"} in ${queue}`));
      return ExitCode.OK;
    }

    if (action === "delete" && !ids?.length && !values.all)
      throw usageError("delete needs --ids, or --all to delete every letter");
    const result = await api(gateway, path(queue, `/${action}`), ids?.length ? { ids } : {}, Count);
    io.out(values.json ? jsonLine(result) : `${action === "replay" ? "replayed" : "deleted"} ${result.count}`);
    return ExitCode.OK;
  },
};
