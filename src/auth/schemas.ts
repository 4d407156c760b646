/**
 * The settings of the gateway's credentials, as zod schemas (the schemas are the types): what a
 * gateway key may do, and the public write keys of Segment-compatible sources. The gateway's
 * configuration (src/config/schema.ts) lists them; src/auth/ matches requests against them.
 */
import * as z from "zod";
import { QueueName } from "../queues/config";

/**
 * What a key may do on its queues. Each scope is granted by listing it: `admin` (the operator
 * routes) implies none of the others, so a deployment's existing keys gain nothing new when a
 * scope is added. `peek` reads messages without leasing them (and metrics, as `pull` does);
 * `purge` deletes them, by ref or the whole queue.
 */
export const Scope = z.enum(["push", "pull", "ack", "peek", "purge", "admin"]);
export type Scope = z.infer<typeof Scope>;

export const KeyConfig = z.object({
  name: z.string().min(1),
  /** Hex SHA-256 of the key; the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits"),
  queues: z.union([z.literal("*"), z.array(QueueName)]),
  scopes: z.array(Scope).min(1),
});
export type KeyConfig = z.infer<typeof KeyConfig>;

/**
 * A write key (src/auth/write-keys.ts): public, embedded in apps. It names the one source it
 * pushes to, a `write_key` source: Segment's protocol has nothing else that names a source, so
 * a key belongs to exactly one (a source may have several keys, one per app or for rotation).
 */
export const WriteKeyConfig = z.object({
  /** Unique: deduplication (messageId per write key) and per-user rate limits are scoped by it. */
  name: z.string().min(1),
  /** Hex SHA-256 of the key, like gateway keys. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits"),
  source: z.string(),
});
export type WriteKeyConfig = z.infer<typeof WriteKeyConfig>;
