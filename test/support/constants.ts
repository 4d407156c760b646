/** Values shared by vitest.config.ts (Node) and the tests (workerd). */
export const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";
export const REMOTE_QUEUE_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
export const BUFFERED_REMOTE_QUEUE_ID = "cccccccccccccccccccccccccccccccc";
export const RESILIENT_QUEUE_ID = "dddddddddddddddddddddddddddddddd";
export const SPILLING_QUEUE_ID = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
export const FAULTY_QUEUE_ID = "ffffffffffffffffffffffffffffffff";
export const BOUND_QUEUE_ID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
export const QUEUES_API_BASE_URL = "http://cloudflare-api.test/client/v4";
/** The token the gateway presents to the stand-in; it must never reach a client. */
export const QUEUES_API_TOKEN = "cf-api-token-test-only-9f8e7d";
export const QUEUES_API_TIMEOUT_MS = 300;

/** Test keys, by name: the plain key and what it may do. */
export const KEYS = {
  dev: { key: "local-dev-key" },
  pushOnly: { key: "push-only-key", queues: "*", scopes: ["push"] },
  pullOnly: { key: "pull-only-key", queues: "*", scopes: ["pull", "ack"] },
  eventsOnly: { key: "events-only-key", queues: ["events"], scopes: ["push", "pull", "ack"] },
  /** Inspects and purges one queue, consumes nothing: peek and purge are scopes of their own. */
  inspectEvents: { key: "inspect-events-key", queues: ["events"], scopes: ["peek", "purge"] },
  /** Operators of one queue each: admin routes must keep them to it. */
  adminBufferedRemote: { key: "admin-buffered-remote-key", queues: ["buffered-remote"], scopes: ["admin"] },
  adminWebhooks: { key: "admin-webhooks-key", queues: ["webhooks"], scopes: ["admin"] },
} as const;

/** Cloudflare's documented always-passing Turnstile test secret. */
export const TURNSTILE_TEST_SECRET = "1x0000000000000000000000000000000AA";
export const DEV_SECRET = "local-dev-secret";
export const STANDARD_DEV_SECRET = "whsec_bG9jYWwtZGV2LXNlY3JldC1mb3ItdGVzdGluZy1vbmx5";
/** The rotated secret list of the test-only `rotating` source: old and new accepted. */
export const ROTATING_SECRETS = ["old-secret", "new-secret"];
export const TWILIO_PUBLIC_BASE_URL = "https://hooks.example.com";
/** The test-only `basic` source's `user:password` pairs; one is not ASCII (sent as UTF-8, as browsers and curl do). */
export const BASIC_NON_ASCII = "jürgen:pässwörd";
export const BASIC_CREDENTIALS = ["alice:wonderland", BASIC_NON_ASCII];
