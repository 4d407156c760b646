/**
 * Write keys (public keys for Segment's clients at /v1/*) and the sources they name, shared by
 * vitest.config.ts (Node: hashed into WRITE_KEYS) and the tracking tests (workerd).
 */
export const WRITE_KEYS = {
  /** The development key, from .dev.vars.example: the `segment` source, queue `events`. */
  dev: { key: "local-dev-write-key", source: "segment" },
  /** A source with tiny per-IP and per-user limits. */
  limited: { key: "limited-write-key", source: "segment-limited" },
  /** A source on a buffered queue with four shards. */
  buffered: { key: "buffered-write-key", source: "segment-buffered" },
  /** Another app's key and source, into `forms`: isolation between write keys. */
  other: { key: "other-app-write-key", source: "segment-other" },
  /** A direct queue behind the Cloudflare stand-in, whose pushes can be made to fail. */
  remote: { key: "remote-write-key", source: "segment-remote" },
} as const;

/** Test-only tracking sources (vitest.config.ts adds them beside the example ones). */
export const TRACKING_SOURCES = {
  "segment-limited": {
    queue: "events",
    auth: { kind: "write_key" },
    accept: ["json", "text"],
    rate_limit: { binding: "TEST_TRACK_IP_LIMIT", by: "ip", user_binding: "TEST_TRACK_USER_LIMIT" },
  },
  "segment-buffered": {
    queue: "tracking-buffered",
    auth: { kind: "write_key" },
    accept: ["json", "text"],
    content_encodings: ["gzip"],
  },
  "segment-other": {
    queue: "forms",
    auth: { kind: "write_key" },
    accept: ["json"],
    cors: { origins: ["https://shop.example"] },
  },
  "segment-remote": { queue: "remote", auth: { kind: "write_key" }, accept: ["json"] },
};

/** The test-only buffered queue: four shards, so a request placed at random would miss its repeats' shard. */
export const TRACKING_QUEUES = { "tracking-buffered": { buffer: { shards: 4, max_wait_ms: 100 } } };

/** The small limits of `segment-limited`: requests per minute per IP, and per end user. */
export const TEST_LIMITS = { ip: 4, user: 2 };
