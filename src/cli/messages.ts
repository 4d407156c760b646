/**
 * Queue messages as `tail` and `pull` print them: a line per message naming its envelope (source,
 * event, delivery id, received at) or, for other messages, a preview of the body; with --json, the
 * whole message as one JSON line, its json body spliced in as sent.
 */
import * as z from "zod";
import type { PeekedMessage, PulledMessage } from "../queues/schemas";
import { jsonLineWith, type Palette, printable } from "./output";

/** The account segment of the Queues API paths: the gateway accepts any and ignores it. */
const ACCOUNT = "local";
/** Characters of a non-envelope body shown on its line. */
const PREVIEW_CHARS = 160;

export const queuePath = (queue: string, action: string) =>
  `/client/v4/accounts/${ACCOUNT}/queues/${encodeURIComponent(queue)}/messages${action}`;

type Message = PulledMessage | PeekedMessage;

/** What an ingest envelope says about its delivery (src/ingest/normalize.ts). */
const Envelope = z.object({
  id: z.string(),
  source: z.string(),
  received_at: z.string(),
  event: z.string().nullable(),
  delivery_id: z.string().nullable(),
});

/** The body as sent: json bodies arrive base64-encoded (`CF-Content-Type: json`), text as is. */
export function bodyOf(message: Message): { json: boolean; text: string } {
  const json = message.metadata["CF-Content-Type"] === "json";
  return { json, text: json ? Buffer.from(message.body, "base64").toString("utf8") : message.body };
}

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** One human line: every part that came from a sender is escaped. */
export function messageLine(message: Message, colour: Palette): string {
  const { json, text } = bodyOf(message);
  const data = json ? parsed(text) : { ok: false as const };
  const envelope = data.ok ? Envelope.safeParse(data.value) : undefined;
  const attempts = message.attempts > 0 ? colour.dim(` attempts ${message.attempts}`) : "";
  if (envelope?.success) {
    const e = envelope.data;
    return (
      [
        colour.dim(printable(e.received_at)),
        colour.bold(printable(e.source)),
        printable(e.event ?? "-"),
        `delivery ${printable(e.delivery_id ?? "-")}`,
        colour.dim(`id ${printable(e.id)}`),
      ].join("  ") + attempts
    );
  }
  const preview = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  return (
    [
      colour.dim(new Date(message.timestamp_ms).toISOString()),
      json ? "json" : "text",
      printable(preview),
      colour.dim(`id ${printable(message.id)}`),
    ].join("  ") + attempts
  );
}

/** The whole message as one JSON line; a json body is spliced in as its text, a text body as a string. */
export function messageJson(message: Message): string {
  const { json, text } = bodyOf(message);
  const { body: _encoded, ...rest } = message;
  const meta = { ...rest, content_type: json ? "json" : "text" };
  return json && parsed(text).ok ? jsonLineWith(meta, "body", text) : jsonLineWith(meta, "body", JSON.stringify(text));
}
