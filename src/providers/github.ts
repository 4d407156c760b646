/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the webhook secret.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 * Only the body is signed: `X-GitHub-Event` and `X-GitHub-Delivery` are not, so repeats are
 * recognised by the signed body, and a replay with a fresh delivery id is still a duplicate.
 */
import { hmacPreset } from "./hmac-preset";
import { isoAt, randomInt, uuid } from "./sample";

export const github = hmacPreset({
  kind: "github",
  title: "GitHub",
  docs: "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
  scheme: { header: "x-hub-signature-256", prefix: "sha256=" },
  identify: (headers) => ({ event: headers.get("x-github-event"), delivery_id: headers.get("x-github-delivery") }),
  example: { secret: "GITHUB_WEBHOOK_SECRET", accept: ["json", "form"] },
  sample: {
    event: "issues",
    body: (_event, nowSeconds) =>
      JSON.stringify({
        action: "opened",
        issue: { id: randomInt(), number: 1347, title: "Found a bug", state: "open", created_at: isoAt(nowSeconds) },
        repository: { id: 1296269, full_name: "octocat/Hello-World", private: false },
        sender: { login: "octocat", id: 1, type: "User" },
      }),
    headers: (event) => ({
      "x-github-event": event ?? "issues",
      "x-github-delivery": uuid(),
      "x-github-hook-id": "42",
      "user-agent": "GitHub-Hookshot/044aadd",
    }),
  },
  delivery: "signed_body",
  headers: [
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-type",
    "x-github-hook-installation-target-id",
    "user-agent",
  ],
  secretHeaders: ["x-hub-signature"],
  description:
    "`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. Event (`X-GitHub-Event`) and delivery id (`X-GitHub-Delivery`) are unsigned headers; repeats are recognised by the signed body.",
});
