/**
 * `tributary pull <queue>` and `tributary push <queue>`: thin wrappers over the Queues API for
 * scripts. A pull leases messages (they come back after the visibility timeout unless acked);
 * `--ack` acknowledges what it printed.
 */
import * as z from "zod";
import {
  DEFAULT_PULL_BATCH_SIZE,
  DEFAULT_VISIBILITY_TIMEOUT_MS,
  MAX_DELAY_SECONDS,
  MAX_PULL_BATCH_SIZE,
  MAX_VISIBILITY_TIMEOUT_MS,
} from "../queues/limits";
import { AckResult, PullResult, PushResult } from "../queues/schemas";
import { type Command, GATEWAY_HELP, GATEWAY_OPTIONS, text, type Values } from "./command";
import { dataText, jsonData } from "./data";
import { api, ExitCode, type Gateway, gatewayKey, gatewayUrl, usageError } from "./http";
import { messageJson, messageLine, queuePath } from "./messages";
import { jsonLine } from "./output";

function gatewayOf(values: Values, env: Readonly<Record<string, string | undefined>>): Gateway {
  return { base: gatewayUrl(text(values, "url"), env), ...gatewayKey(text(values, "key"), env) };
}

function oneQueue(positionals: string[], command: string): string {
  const [queue, ...extra] = positionals;
  if (!queue || extra.length) throw usageError(`${command} takes one queue`, `tributary ${command} <queue>`);
  return queue;
}

/** An integer option within bounds, or a usage error naming it. */
function integer(values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = text(values, name);
  if (raw === undefined) return fallback;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!parsed.success) throw usageError(`--${name}: an integer from ${min} to ${max}`);
  return parsed.data;
}

export const pullCommand: Command = {
  name: "pull",
  summary: "lease messages from a queue once (--ack to acknowledge them)",
  help: `Usage: tributary pull <queue> [--ack] [--batch-size N] [--visibility-timeout MS] [--json] [--url URL] [--key KEY]

Pulls (leases) up to --batch-size messages once and prints them, with their lease ids in --json.
Unacked leases return the messages to the queue after the visibility timeout.

  --ack                    acknowledge every message pulled (it is consumed)
  --batch-size N           1 to ${MAX_PULL_BATCH_SIZE} (default ${DEFAULT_PULL_BATCH_SIZE})
  --visibility-timeout MS  how long the lease hides them (default ${DEFAULT_VISIBILITY_TIMEOUT_MS})
${GATEWAY_HELP}`,
  options: {
    ...GATEWAY_OPTIONS,
    ack: { type: "boolean" },
    "batch-size": { type: "string" },
    "visibility-timeout": { type: "string" },
  },
  async run(positionals, values, { env, io }) {
    const queue = oneQueue(positionals, "pull");
    const gateway = gatewayOf(values, env);
    const request = {
      batch_size: integer(values, "batch-size", DEFAULT_PULL_BATCH_SIZE, 1, MAX_PULL_BATCH_SIZE),
      visibility_timeout_ms: integer(
        values,
        "visibility-timeout",
        DEFAULT_VISIBILITY_TIMEOUT_MS,
        1,
        MAX_VISIBILITY_TIMEOUT_MS,
      ),
    };
    const pulled = await api(gateway, queuePath(queue, "/pull"), request, PullResult);
    for (const message of pulled.messages) io.out(values.json ? messageJson(message) : messageLine(message, io.colour));
    if (values.ack && pulled.messages.length) {
      const acked = await api(
        gateway,
        queuePath(queue, "/ack"),
        { acks: pulled.messages.map((m) => ({ lease_id: m.lease_id })), retries: [] },
        AckResult,
      );
      if (!values.json) io.err(io.errColour.dim(`acked ${acked.ackCount}`));
    }
    if (!values.json)
      io.err(io.errColour.dim(`${pulled.messages.length} pulled, ${pulled.message_backlog_count} waiting`));
    return ExitCode.OK;
  },
};

export const pushCommand: Command = {
  name: "push",
  summary: "push one message to a queue",
  help: `Usage: tributary push <queue> --data JSON|@file [--text] [--delay SECONDS] [--json] [--url URL] [--key KEY]

Pushes one message: a json message of the --data JSON, or with --text a text message of it as is.

  --data JSON      the body (@file reads a file)
  --text           a text message, not JSON
  --delay SECONDS  hide it for this long first (0 to ${MAX_DELAY_SECONDS})
${GATEWAY_HELP}`,
  options: { ...GATEWAY_OPTIONS, data: { type: "string" }, text: { type: "boolean" }, delay: { type: "string" } },
  async run(positionals, values, { env, io }) {
    const queue = oneQueue(positionals, "push");
    const data = text(values, "data");
    if (data === undefined)
      throw usageError("push needs --data", 'tributary push <queue> --data \'{"hello":"world"}\'');
    const body = dataText(data);
    const delay =
      text(values, "delay") === undefined ? {} : { delay_seconds: integer(values, "delay", 0, 0, MAX_DELAY_SECONDS) };
    const message = values.text
      ? { body, content_type: "text", ...delay }
      : { body: jsonData(body), content_type: "json", ...delay };
    const pushed = await api(gatewayOf(values, env), queuePath(queue, ""), message, PushResult);
    io.out(
      values.json ? jsonLine(pushed) : `pushed to ${queue}: ${pushed.metadata.metrics.backlog_count} in its backlog`,
    );
    return ExitCode.OK;
  },
};
