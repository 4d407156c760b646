/**
 * Splits messages into upstream batches as full as Cloudflare allows: at most
 * MAX_BATCH_MESSAGES messages and MAX_BATCH_BYTES bytes (with per-message overhead) each,
 * keeping their order. Used by the buffer's flush and by direct mode.
 */
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, messageBytes } from "../queues/limits";
import type { QueueMessage } from "../queues/schemas";

export function takeBatch<T extends { message: QueueMessage }>(
  items: readonly T[],
  maxMessages = MAX_BATCH_MESSAGES,
  maxBytes = MAX_BATCH_BYTES,
): T[] {
  const batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = messageBytes(item.message.body);
    if (batch.length >= maxMessages || (batch.length > 0 && bytes + size > maxBytes)) break;
    batch.push(item);
    bytes += size;
  }
  return batch;
}

export function splitBatches(messages: readonly QueueMessage[]): QueueMessage[][] {
  const items = messages.map((message) => ({ message }));
  const batches: QueueMessage[][] = [];
  for (let start = 0; start < items.length; ) {
    const batch = takeBatch(items.slice(start, start + MAX_BATCH_MESSAGES));
    batches.push(batch.map((b) => b.message));
    start += batch.length;
  }
  return batches;
}
