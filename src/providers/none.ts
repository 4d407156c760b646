/**
 * No authentication: public HTML forms. Protected by the form options (honeypot, Turnstile,
 * CORS) and rate limits; deduplication is off unless the operator sets a window.
 */
import * as z from "zod";
import { success } from "../lib/result";
import { defineProvider, noIdentity } from "./provider";

export const NoAuth = z.object({ kind: z.literal("none") });

export const none = defineProvider({
  kind: "none",
  title: "None (public form)",
  docs: "README.md#ingest-post-ingestsource",
  auth: NoAuth,
  readsBody: false,
  verify: async () => success({}),
  identify: () => noIdentity,
  delivery: "anonymous_id",
  headers: ["user-agent", "referer", "origin"],
  secretHeaders: [],
  openapi: {
    description: "No authentication (public form): honeypot field, optional Turnstile, CORS.",
    security: () => undefined,
  },
});
