/**
 * The example ingest sources (used by `npm run dev` and documented in the README). Edit to add
 * your own; `[vars.SOURCES]` may override fields per deployment. Secrets are referenced by name.
 */
import { z } from "zod";
import type { SourceConfigInput } from "../ingest/source-schema";

/** Events sent by the example mobile/web app. */
export const AppEvent = z.object({
  event: z.string().min(1).max(200),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  user_id: z.union([z.string(), z.number()]).optional(),
  anonymous_id: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

export const SOURCES: Record<string, SourceConfigInput> = {
  github: { queue: "webhooks", auth: { kind: "github", secret: "GITHUB_WEBHOOK_SECRET", secrets: [] }, accept: ["json", "form"] },
  stripe: { queue: "webhooks", auth: { kind: "stripe", secret: "STRIPE_WEBHOOK_SECRET", secrets: [] }, accept: ["json"] },
  slack: { queue: "webhooks", auth: { kind: "slack", secret: "SLACK_SIGNING_SECRET", secrets: [] }, accept: ["json", "form"] },
  shopify: { queue: "webhooks", auth: { kind: "shopify", secret: "SHOPIFY_WEBHOOK_SECRET", secrets: [] }, accept: ["json"] },
  // Twilio signs the URL it posts to; set your deployment's public URL ([vars.SOURCES] twilio.auth).
  twilio: {
    queue: "webhooks",
    auth: { kind: "twilio", secret: "TWILIO_AUTH_TOKEN", secrets: [], public_base_url: "http://127.0.0.1:8787" },
    accept: ["form", "json"],
  },
  standard: { queue: "webhooks", auth: { kind: "standard", secret: "STANDARD_WEBHOOK_SECRET", secrets: [] }, accept: ["json"] },
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
    rate_limit: { binding: "APP_RATE_LIMIT", by: "key" },
    content_encodings: ["gzip", "deflate"],
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
