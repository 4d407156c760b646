/**
 * The example ingest sources (used by `npm run dev` and documented in the README): one per
 * provider preset (GitHub's with example rules), plus a generic HMAC sender, an app, Segment's
 * clients and a contact form.
 * Edit to add your own; `[vars.SOURCES]` may override fields per deployment. Secrets are
 * referenced by name.
 */
import * as z from "zod";
import { PROVIDERS } from "../providers";
import type { RuleInput } from "../rules/schema";
import type { SourceConfigInput } from "./source-schema";

/** Events sent by the example mobile/web app. */
export const AppEvent = z.object({
  event: z.string().min(1).max(200),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  user_id: z.union([z.string(), z.number()]).optional(),
  anonymous_id: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

/**
 * One development source per provider preset, named after it, into `webhooks` (each descriptor's
 * `example`: secrets from .dev.vars.example). URL-signing presets use http://127.0.0.1:8787 as
 * their public URL: set your deployment's in `[vars.SOURCES]`. A deployment serves only the presets
 * PRESET_SOURCES names (src/config/gateway.ts), so it needs only the secrets of the senders it runs.
 */
export const PRESETS: Record<string, SourceConfigInput> = Object.fromEntries(
  PROVIDERS.flatMap((p) =>
    p.example
      ? [[p.kind, { queue: "webhooks", auth: { ...p.example.auth, secrets: [] }, accept: [...p.example.accept] }]]
      : [],
  ),
);

/**
 * The example rules (src/rules/schema.ts): GitHub's pushes go to `builds`, issues and pull
 * requests to `webhooks`, pings are dropped (answered 2xx, never enqueued), and every other event
 * goes to the source's own queue, `webhooks`. `[vars.SOURCES]` may replace the list.
 */
const GITHUB_RULES: RuleInput[] = [
  { name: "builds", match: { event: "push" }, route: "builds" },
  { name: "triage", match: { event: ["issues", "pull_request"] }, route: "webhooks" },
  { name: "pings", match: { event: "ping" }, drop: true },
];

export const SOURCES: Record<string, SourceConfigInput> = {
  ...PRESETS,
  github: { ...PRESETS.github!, rules: GITHUB_RULES },
  hmac: {
    queue: "webhooks",
    auth: {
      kind: "hmac",
      secret: "HMAC_WEBHOOK_SECRET",
      secrets: [],
      header: "x-signature",
      algorithm: "sha256",
      encoding: "hex",
      prefix: "sha256=",
      timestamp_header: "x-timestamp",
      template: "{timestamp}.{body}",
    },
    accept: ["json", "text"],
    headers: ["x-event-type"],
  },
  app: {
    queue: "events",
    auth: { kind: "key" },
    accept: ["json", "ndjson"],
    batch: true,
    schema: AppEvent,
    event_field: "event",
    cors: { origins: ["*"] },
    // Per client: an app's key is shared by all its installs, so a per-key budget would let one
    // device spend everyone's.
    rate_limit: { binding: "APP_RATE_LIMIT", by: "ip" },
    content_encodings: ["gzip", "deflate"],
  },
  // Segment's tracking API at /v1/* (src/segment/), for Segment's own client libraries; its
  // write keys (WRITE_KEYS, public) name it. Rate limited per IP and per end user.
  segment: {
    queue: "events",
    auth: { kind: "write_key" },
    accept: ["json", "text"],
    cors: { origins: ["*"] },
    rate_limit: { binding: "TRACK_RATE_LIMIT", by: "ip", user_binding: "TRACK_USER_RATE_LIMIT" },
    content_encodings: ["gzip"],
  },
  contact: {
    queue: "forms",
    auth: { kind: "none" },
    accept: ["form", "multipart", "json"],
    max_body_bytes: 64_000,
    form: { honeypot: "_gotcha", success_url: "/thanks" },
    cors: { origins: ["*"] },
    idempotency_window_seconds: 0,
  },
};
