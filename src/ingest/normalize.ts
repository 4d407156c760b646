/**
 * Turns a parsed payload item into the QueueMessage pushed upstream.
 *  - envelope (default): a json message `{id, source, received_at, delivery_id, event,
 *    content_type, headers, data}` where `data` is the payload's original JSON text spliced in,
 *    never re-serialized, so big integers, key order and escapes survive byte for byte;
 *  - raw: JSON payloads as json messages (their original text), text as text, forms as json.
 * Every message must fit Cloudflare's 128 KB (with overhead); nothing is ever truncated.
 */

import { newMessageId } from "../lib/ids";
import { fail, type Result, success } from "../lib/result";
import type { Identity } from "../providers/provider";
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, messageBytes } from "../queues/limits";
import type { QueueMessage } from "../queues/schemas";
import type { Item } from "./parse";

export interface EnvelopeMeta extends Identity {
  source: string;
  received_at: string;
  content_type: string;
  headers: Record<string, string>;
}

export interface Normalized {
  id: string;
  message: QueueMessage;
}

/**
 * `id` is a fresh gateway id unless given: a message routed to several queues carries the same id
 * in each (consumers correlate the copies), and a retried fan-out reuses the id a queue kept.
 */
export function normalize(
  format: "envelope" | "raw",
  item: Item,
  meta: EnvelopeMeta,
  delaySeconds: number | undefined,
  id = newMessageId(),
): Normalized {
  const delay = delaySeconds === undefined ? {} : { delay_seconds: delaySeconds };
  if (format === "raw") {
    if (item.kind === "text") return { id, message: { body: item.data, content_type: "text", ...delay } };
    return { id, message: { body: payloadJson(item), content_type: "json", ...delay } };
  }
  const head = JSON.stringify({
    id,
    source: meta.source,
    received_at: meta.received_at,
    delivery_id: meta.delivery_id,
    event: meta.event,
    content_type: meta.content_type,
    headers: meta.headers,
  });
  // `data` goes last, spliced in as text: head is `{…}`, so drop its `}` and append.
  const body = `${head.slice(0, -1)},"data":${payloadJson(item)}}`;
  return { id, message: { body, content_type: "json", ...delay } };
}

function payloadJson(item: Item): string {
  switch (item.kind) {
    case "json":
      return item.json;
    case "text":
      return JSON.stringify(item.data);
    case "form":
      return JSON.stringify(item.data);
  }
}

/** Cloudflare's limits on what one request produces: each message, and the batch as a whole. */
export function checkSizes(messages: readonly QueueMessage[]): Result<void> {
  let total = 0;
  for (const [index, message] of messages.entries()) {
    const bytes = messageBytes(message.body);
    if (bytes > MAX_MESSAGE_BYTES) return fail({ reason: "message_too_large", index, bytes, limit: MAX_MESSAGE_BYTES });
    total += bytes;
  }
  if (total > MAX_BATCH_BYTES) return fail({ reason: "batch_too_large", bytes: total, limit: MAX_BATCH_BYTES });
  return success(undefined);
}
