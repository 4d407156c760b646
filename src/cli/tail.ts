/**
 * `tributary tail <queue>`: follows a queue like `tail -f`. It peeks (nothing leased, nothing
 * consumed); a peek shows the same waiting messages again until they are consumed, so each
 * message id is printed once. Where the key may not peek, `--lease` follows by pulling and handing
 * every message straight back (a retry without delay): each poll is then a delivery attempt, and
 * after the queue's max_retries the messages go to its dead-letter queue, so it is never implicit.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { MAX_PEEK_BATCH_SIZE, MAX_PULL_BATCH_SIZE } from "../queues/limits";
import { AckResult, type PeekedMessage, PeekResult, type PulledMessage, PullResult } from "../queues/schemas";
import { type Command, GATEWAY_HELP, GATEWAY_OPTIONS, text } from "./command";
import { api, CliError, ExitCode, type Gateway, gatewayKey, gatewayUrl, Refusal, usageError } from "./http";
import { messageJson, messageLine, queuePath } from "./messages";
import { printable } from "./output";

/** Between polls. */
const POLL_INTERVAL_MS = 1_000;
/** Message ids remembered as printed; older ones may print again should they reappear. */
const MAX_SEEN_IDS = 10_000;
/** A lease long enough for one poll to hand its messages back. */
const LEASE_MS = 30_000;
/** Peek answers the gateway gives when it will not peek for this key or queue: no scope, no route. */
const NO_PEEK = new Set([403, 404, 405, 501]);

const HELP = `Usage: tributary tail <queue> [--json] [--lease] [--url URL] [--key KEY]

Follows a queue like tail -f: each message once, as it arrives, with its envelope (received at,
source, event, delivery id) or a preview of its body. It peeks, so nothing is leased or consumed.
Stop it with Ctrl-C.

  --lease       where the key may not peek: pull and hand each message straight back instead.
                Every poll is then a delivery attempt: past the queue's max_retries, messages go
                to its dead-letter queue. Use it on queues a consumer drains.
${GATEWAY_HELP}`;

/** Ids seen, in order, forgetting the oldest past MAX_SEEN_IDS. */
class Seen {
  private readonly ids = new Set<string>();
  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > MAX_SEEN_IDS) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

export const tailCommand: Command = {
  name: "tail",
  summary: "follow a queue's messages as they arrive (peek: nothing consumed)",
  help: HELP,
  options: { ...GATEWAY_OPTIONS, lease: { type: "boolean" } },
  async run(positionals, values, { env, io }) {
    const [queue, ...extra] = positionals;
    if (!queue || extra.length) throw usageError("tail takes one queue", "tributary tail <queue>");
    const gateway: Gateway = { base: gatewayUrl(text(values, "url"), env), ...gatewayKey(text(values, "key"), env) };
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);

    const peek = () =>
      api(gateway, queuePath(queue, "/peek"), { batch_size: MAX_PEEK_BATCH_SIZE }, PeekResult).then((r) => r.messages);
    const lease = async () => {
      const pulled = await api(
        gateway,
        queuePath(queue, "/pull"),
        { batch_size: MAX_PULL_BATCH_SIZE, visibility_timeout_ms: LEASE_MS },
        PullResult,
      );
      const retries = pulled.messages.map((m) => ({ lease_id: m.lease_id, delay_seconds: 0 }));
      if (retries.length) await api(gateway, queuePath(queue, "/ack"), { acks: [], retries }, AckResult);
      return pulled.messages;
    };

    // The first poll decides the mode, and fails the command if the gateway cannot be reached.
    let poll: () => Promise<(PeekedMessage | PulledMessage)[]> = peek;
    let messages: (PeekedMessage | PulledMessage)[];
    try {
      messages = await peek();
    } catch (err) {
      if (!(err instanceof Refusal) || !NO_PEEK.has(err.status)) throw err;
      if (!values.lease) {
        throw new CliError(
          `cannot peek "${queue}": ${err.message}`,
          ExitCode.REFUSED,
          "--lease follows it by pulling instead (each poll counts as a delivery attempt)",
        );
      }
      io.err(
        io.errColour.yellow(
          `tributary tail: peeking refused (${err.status}); leasing instead: every poll is a delivery attempt`,
        ),
      );
      poll = lease;
      messages = await lease();
    }

    const seen = new Seen();
    let unreachable = false;
    while (!stop.signal.aborted) {
      for (const message of messages) {
        if (seen.add(message.id)) io.out(values.json ? messageJson(message) : messageLine(message, io.colour));
      }
      await sleep(POLL_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) break;
      try {
        messages = await poll();
        if (unreachable) io.err(io.errColour.green("tributary tail: reconnected"));
        unreachable = false;
      } catch (err) {
        // A gateway restarting (wrangler dev reloads) is waited for; anything it refuses ends the tail.
        if (!(err instanceof CliError) || err.exitCode !== ExitCode.CONNECTION) throw err;
        if (!unreachable) io.err(io.errColour.yellow(`tributary tail: ${printable(err.message)}; retrying`));
        unreachable = true;
        messages = [];
      }
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    return ExitCode.OK;
  },
};
