/**
 * The Cloudflare Queues messages API, as zod schemas (the schemas are the types): request bodies
 * for push, batch, pull, ack, peek and purge, their results, and `QueueMessage`, the one message
 * type that flows from the routes (and ingest) to every upstream. A `json` QueueMessage carries
 * its body as JSON text, so the payload is never re-serialized on the way (big integers survive).
 * The queue-level resources (metrics, purging the whole queue) are in ./queue-schemas.ts.
 */
import * as z from "zod";
import { ErrorCode } from "../http/errors";
import {
  DEFAULT_PEEK_BATCH_SIZE,
  DEFAULT_PULL_BATCH_SIZE,
  DEFAULT_VISIBILITY_TIMEOUT_MS,
  MAX_BATCH_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_DELAY_SECONDS,
  MAX_MESSAGE_BYTES,
  MAX_PEEK_BATCH_SIZE,
  MAX_PULL_BATCH_SIZE,
  MAX_VISIBILITY_TIMEOUT_MS,
  messageBytes,
} from "./limits";

export const ContentType = z.enum(["text", "json"]);
export type ContentType = z.infer<typeof ContentType>;

export const DelaySeconds = z.number().int().min(0).max(MAX_DELAY_SECONDS);

/** A message ready for any upstream. `body` is the text, or the JSON text for `json`. */
export const QueueMessage = z.object({
  body: z.string(),
  content_type: ContentType,
  delay_seconds: DelaySeconds.optional(),
});
export type QueueMessage = z.infer<typeof QueueMessage>;

/** Issue params carrying the Cloudflare error code (and HTTP status) for the error mapper. */
export interface LimitIssueParams {
  code: number;
  status: 400 | 413;
}

/** One message of a push or batch body, turned into a QueueMessage within the size limit. */
export const PushMessage = z
  .object({
    body: z.unknown(),
    content_type: ContentType.default("json"),
    delay_seconds: DelaySeconds.optional(),
  })
  .transform((message, ctx): QueueMessage => {
    let body: string;
    if (message.content_type === "text") {
      if (typeof message.body !== "string") {
        ctx.issues.push({
          code: "custom",
          path: ["body"],
          input: message.body,
          message: "a text message's body must be a string",
          params: { code: ErrorCode.MESSAGE_METADATA_INVALID, status: 400 },
        });
        return z.NEVER;
      }
      body = message.body;
    } else {
      if (message.body === undefined) {
        ctx.issues.push({ code: "custom", path: ["body"], input: message.body, message: "body is required" });
        return z.NEVER;
      }
      body = JSON.stringify(message.body);
    }
    const size = messageBytes(body);
    if (size > MAX_MESSAGE_BYTES) {
      ctx.issues.push({
        code: "custom",
        path: ["body"],
        input: size,
        message: `message is ${size} bytes with overhead; the limit is ${MAX_MESSAGE_BYTES}`,
        params: { code: ErrorCode.MESSAGE_TOO_LARGE, status: 413 } satisfies LimitIssueParams,
      });
      return z.NEVER;
    }
    return {
      body,
      content_type: message.content_type,
      ...(message.delay_seconds !== undefined && { delay_seconds: message.delay_seconds }),
    };
  });

/** Checks the byte total of a batch; the per-message checks already ran. */
export function checkBatchBytes(messages: readonly QueueMessage[], ctx: z.RefinementCtx): void {
  const total = messages.reduce((sum, m) => sum + messageBytes(m.body), 0);
  if (total > MAX_BATCH_BYTES) {
    ctx.addIssue({
      code: "custom",
      path: ["messages"],
      message: `batch is ${total} bytes with overhead; the limit is ${MAX_BATCH_BYTES}`,
      params: { code: ErrorCode.BATCH_TOO_LARGE, status: 413 } satisfies LimitIssueParams,
    });
  }
}

export const BatchRequest = z
  .object({
    delay_seconds: DelaySeconds.optional(),
    messages: z
      .array(PushMessage)
      .min(1, "a batch needs at least one message")
      .max(MAX_BATCH_MESSAGES, `a batch holds at most ${MAX_BATCH_MESSAGES} messages`),
  })
  .superRefine((batch, ctx) => checkBatchBytes(batch.messages, ctx))
  .transform(({ delay_seconds, messages }): QueueMessage[] =>
    // The batch delay is the default for messages without their own.
    messages.map((m) => (m.delay_seconds === undefined && delay_seconds !== undefined ? { ...m, delay_seconds } : m)),
  );
export type BatchRequest = z.input<typeof BatchRequest>;

export const PullRequest = z.object({
  batch_size: z.number().int().min(1).max(MAX_PULL_BATCH_SIZE).default(DEFAULT_PULL_BATCH_SIZE),
  visibility_timeout_ms: z.number().int().min(1).max(MAX_VISIBILITY_TIMEOUT_MS).default(DEFAULT_VISIBILITY_TIMEOUT_MS),
});
export type PullRequest = z.infer<typeof PullRequest>;

/** Generous bound on one ack call, so a request cannot make the queue do unbounded work. */
export const MAX_ACKS_PER_REQUEST = 1000;
const LeaseId = z.string().min(1).max(1024);

export const AckRequest = z.object({
  acks: z
    .array(z.object({ lease_id: LeaseId }))
    .max(MAX_ACKS_PER_REQUEST)
    .default([]),
  retries: z
    .array(z.object({ lease_id: LeaseId, delay_seconds: DelaySeconds.optional() }))
    .max(MAX_ACKS_PER_REQUEST)
    .default([]),
});
export type AckRequest = z.infer<typeof AckRequest>;

export const PeekRequest = z.object({
  batch_size: z.number().int().min(1).max(MAX_PEEK_BATCH_SIZE).default(DEFAULT_PEEK_BATCH_SIZE),
});
export type PeekRequest = z.infer<typeof PeekRequest>;

/** A bound on one purge call, as on one ack call. */
export const MAX_REFS_PER_REQUEST = 1000;

export const PurgeRequest = z.object({
  refs: z.array(z.object({ ref: z.string().min(1).max(1024) })).max(MAX_REFS_PER_REQUEST),
});
export type PurgeRequest = z.infer<typeof PurgeRequest>;

export const Metrics = z.object({
  backlog_count: z.number(),
  backlog_bytes: z.number(),
  oldest_message_timestamp_ms: z.number(),
});
export type Metrics = z.infer<typeof Metrics>;

export const PushResult = z.object({ metadata: z.object({ metrics: Metrics }) });
export type PushResult = z.infer<typeof PushResult>;

export const PulledMessage = z.object({
  id: z.string(),
  attempts: z.number(),
  body: z.string(),
  lease_id: z.string(),
  metadata: z.record(z.string(), z.string()),
  timestamp_ms: z.number(),
});
export type PulledMessage = z.infer<typeof PulledMessage>;

/** A peeked message: as pulled, but with a `ref` (for purge) where a pull has its lease. */
export const PeekedMessage = PulledMessage.omit({ lease_id: true }).extend({ ref: z.string() });
export type PeekedMessage = z.infer<typeof PeekedMessage>;

export const PeekResult = z.object({ messages: z.array(PeekedMessage) });
export type PeekResult = z.infer<typeof PeekResult>;

export const PurgeResult = z.object({
  // Cloudflare's type has per-message errors too; the local queue reports every problem as a warning.
  errors: z.array(z.object({ message: z.string().optional() })).optional(),
  /** ref -> why nothing was deleted for it (unknown, already gone, another queue's). */
  warnings: z.record(z.string(), z.string()).optional(),
});
export type PurgeResult = z.infer<typeof PurgeResult>;

export const PullResult = z.object({
  message_backlog_count: z.number(),
  messages: z.array(PulledMessage),
  metadata: z.object({ metrics: Metrics }),
});
export type PullResult = z.infer<typeof PullResult>;

export const AckResult = z.object({
  ackCount: z.number(),
  retryCount: z.number(),
  // Cloudflare answers a map lease_id -> message; older clients typed it as an array.
  warnings: z.union([z.record(z.string(), z.string()), z.array(z.unknown())]),
});
export type AckResult = z.infer<typeof AckResult>;
