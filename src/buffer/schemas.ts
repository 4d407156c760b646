/** What the admin routes answer about dead letters, as a schema: the routes document it, the CLI parses it. */
import * as z from "zod";

/** A dead letter as listed: the message, its shard, when it arrived and failed, and the upstream's refusal. */
export const DeadLetterEntry = z.object({
  shard: z.number(),
  id: z.string(),
  content_type: z.string(),
  bytes: z.number(),
  enqueued_at: z.number(),
  failed_at: z.number(),
  error: z.string(),
  body: z.string(),
});
export type DeadLetterEntry = z.infer<typeof DeadLetterEntry>;
