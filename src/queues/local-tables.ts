/**
 * The local queue's storage (src/queues/local-queue.ts): its SQLite tables, as append-only
 * migrations, and the shape of a row.
 *
 * Tables
 *   messages   one row per message not yet acked, dead-lettered or expired.
 *     seq           insertion order (best-effort FIFO)
 *     id            32-hex message id
 *     body          text, or JSON text for content_type 'json' (returned base64 by pull)
 *     content_type  'text' | 'json'
 *     size          bytes counted against limits and backlog_bytes (body + overhead)
 *     timestamp_ms  when the message was first accepted (retention counts from here)
 *     visible_at    ms; a message is pullable when visible_at <= now. Delays and leases set it.
 *     attempts      deliveries so far (pull increments)
 *     lease_id      last lease handed out; kept after expiry so late acks still work
 *   last_purge   the latest purge of the whole queue (one row, id 1), for its status.
 *     started_at, completed_at   ms (a local purge is one transaction: both are written at once)
 */
import { toBase64 } from "../lib/encoding";
import type { Migration } from "../lib/migrations";

/** A message moving between local queues (dead-lettering) keeps its id and timestamp. */
export type StoredMessage = {
  id: string;
  body: string;
  content_type: string;
  timestamp_ms: number;
};

export type Row = StoredMessage & {
  seq: number;
  size: number;
  attempts: number;
  lease_id: string | null;
  visible_at: number;
};

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: `CREATE TABLE messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      body TEXT NOT NULL,
      content_type TEXT NOT NULL,
      size INTEGER NOT NULL,
      timestamp_ms INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      lease_id TEXT
    );
    CREATE INDEX messages_visible ON messages (visible_at, seq);
    CREATE INDEX messages_lease ON messages (lease_id);
    CREATE INDEX messages_timestamp ON messages (timestamp_ms);`,
  },
  {
    // Finding exhausted messages must not scan every visible one (pull ran in O(backlog)).
    id: 2,
    sql: "CREATE INDEX messages_exhausted ON messages (attempts, visible_at);",
  },
  {
    // Purge status outlives the purge: Cloudflare answers it with a separate GET.
    id: 3,
    sql: "CREATE TABLE last_purge (id INTEGER PRIMARY KEY CHECK (id = 1), started_at INTEGER NOT NULL, completed_at INTEGER NOT NULL);",
  },
];

/** A row as pull and peek show it: text as is, json base64-encoded, the content type in metadata. */
export function asDelivered(row: Row) {
  return {
    id: row.id,
    body: row.content_type === "text" ? row.body : toBase64(row.body),
    metadata: { "CF-Content-Type": row.content_type },
    timestamp_ms: row.timestamp_ms,
  };
}
