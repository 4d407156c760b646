/**
 * Sentry integration webhooks: `Sentry-Hook-Signature: <hex HMAC-SHA256>` with the integration's
 * client secret, over the body exactly as received. (The docs' snippet hashes
 * `JSON.stringify(request.body)`; Sentry sends compact JSON with non-ASCII as \u escapes, so a
 * re-serialized body differs and valid deliveries would fail.)
 * https://docs.sentry.io/integrations/integration-platform/webhooks/
 * `Sentry-Hook-Resource`, `Sentry-Hook-Timestamp` and `Request-ID` are not signed: the event is
 * the resource header plus the signed `action`, and repeats are recognised by the signed body.
 * The unsigned timestamp is forwarded, not checked (a forger could set it to anything).
 */
import { hmacPreset } from "./hmac-preset";
import { field } from "./provider";
import { randomInt, uuid } from "./sample";

export const sentry = hmacPreset({
  kind: "sentry",
  title: "Sentry",
  docs: "https://docs.sentry.io/integrations/integration-platform/webhooks/",
  scheme: { header: "sentry-hook-signature" },
  identify(headers, data) {
    const resource = headers.get("sentry-hook-resource");
    const action = field(data, "action");
    return {
      event: resource && action ? `${resource}.${action}` : (resource ?? action),
      delivery_id: headers.get("request-id"),
    };
  },
  example: { secret: "SENTRY_CLIENT_SECRET", accept: ["json"] },
  sample: {
    // `<Sentry-Hook-Resource>.<action>`, as the gateway names it.
    event: "issue.created",
    body: (event) =>
      JSON.stringify({
        action: event?.split(".").slice(1).join(".") || "created",
        installation: { uuid: uuid() },
        data: {
          issue: {
            id: String(randomInt()),
            title: "Error: something broke",
            culprit: "app/main.js",
            level: "error",
            status: "unresolved",
          },
        },
        actor: { type: "application", id: "sentry", name: "Sentry" },
      }),
    headers: (event) => ({ "sentry-hook-resource": event?.split(".")[0] ?? "issue", "request-id": uuid() }),
  },
  delivery: "signed_body",
  headers: ["sentry-hook-resource", "sentry-hook-timestamp", "request-id", "user-agent"],
  // UI-component requests carry the same digest under this name.
  secretHeaders: ["sentry-app-signature"],
  description:
    "`Sentry-Hook-Signature: <hex HMAC-SHA256 of the body as sent>`. Event is `Sentry-Hook-Resource` (unsigned) plus the signed `action`, e.g. `issue.created`; `Request-ID` is unsigned, so repeats are recognised by the signed body.",
});
