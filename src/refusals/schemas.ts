/**
 * What the gateway remembers of a refused ingest request, and what GET /admin/refusals answers.
 * Only these fields, by design: never the body, headers, client address or signature, since
 * a refusal is usually a stranger's request and the console shows it to operators.
 */
import * as z from "zod";

/** Longest reason or request id stored; anything longer is cut (a dev `cf-ray` header is the client's). */
export const MAX_FIELD_CHARS = 64;

export const Refusal = z.object({
  source: z.string(),
  /** The log line's `refused`: a failure reason, or for a 401 why verification failed (`signature_mismatch`, …). */
  reason: z.string(),
  /** The HTTP status the sender got. */
  status: z.number().int(),
  /** When, in ms since the epoch. */
  at: z.number().int(),
  /** The request's X-Request-Id, to find its log line. */
  request_id: z.string(),
});
export type Refusal = z.infer<typeof Refusal>;

/** A listed refusal names the queue its source belongs to, which is what a key administers. */
export const RefusalEntry = Refusal.extend({ queue: z.string() });
export type RefusalEntry = z.infer<typeof RefusalEntry>;
