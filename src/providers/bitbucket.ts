/**
 * Bitbucket Cloud: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's
 * secret (the header GitHub uses for SHA-1; Bitbucket's is SHA-256).
 * https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/
 * Only the body is signed: `X-Event-Key` and `X-Request-UUID` are not, so repeats are
 * recognised by the signed body.
 */
import { hmacPreset } from "./hmac-preset";
import { uuid } from "./sample";

export const bitbucket = hmacPreset({
  kind: "bitbucket",
  title: "Bitbucket Cloud",
  docs: "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/",
  scheme: { header: "x-hub-signature", prefix: "sha256=" },
  identify: (headers) => ({ event: headers.get("x-event-key"), delivery_id: headers.get("x-request-uuid") }),
  example: { secret: "BITBUCKET_WEBHOOK_SECRET", accept: ["json"] },
  sample: {
    event: "repo:push",
    body: () =>
      JSON.stringify({
        push: {
          changes: [
            { new: { type: "branch", name: "main", target: { hash: uuid().replaceAll("-", "").slice(0, 12) } } },
          ],
        },
        repository: { full_name: "team/repo", uuid: `{${uuid()}}` },
        actor: { display_name: "Ada Lovelace" },
      }),
    headers: (event) => ({
      "x-event-key": event ?? "repo:push",
      "x-request-uuid": uuid(),
      "x-hook-uuid": uuid(),
      "x-attempt-number": "1",
    }),
  },
  delivery: "signed_body",
  headers: ["x-event-key", "x-request-uuid", "x-hook-uuid", "x-attempt-number", "user-agent"],
  description:
    "`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`. Event (`X-Event-Key`) and delivery id (`X-Request-UUID`) are unsigned headers; repeats are recognised by the signed body.",
});
