/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`
 * with the signing secret, within 300 s. Bodies are JSON (Events API) or forms (slash commands;
 * interactive posts carry JSON in `payload`). The Events API's `url_verification` is answered
 * with its challenge, after verification. https://api.slack.com/authentication/verifying-requests-from-slack
 */

import { hmacPreset } from "./hmac-preset";
import { field, json } from "./provider";
import { randomHex } from "./sample";

/** Slack interactive posts are forms whose `payload` field holds the JSON. */
function slackPayload(data: unknown): unknown {
  const payload = field(data, "payload");
  if (payload === null) return data;
  try {
    return JSON.parse(payload);
  } catch {
    return data;
  }
}

export const slack = hmacPreset({
  kind: "slack",
  title: "Slack",
  docs: "https://api.slack.com/authentication/verifying-requests-from-slack",
  scheme: {
    header: "x-slack-signature",
    prefix: "v0=",
    timestamp_header: "x-slack-request-timestamp",
    template: "v0:{timestamp}:{body}",
  },
  identify(_headers, data) {
    const payload = slackPayload(data);
    return {
      event: field(payload, "event", "type") ?? field(payload, "type") ?? field(payload, "command"),
      delivery_id: field(payload, "event_id") ?? field(payload, "trigger_id"),
    };
  },
  example: { secret: "SLACK_SIGNING_SECRET", accept: ["json", "form"] },
  sample: {
    event: "app_mention",
    body: (event, nowSeconds) =>
      JSON.stringify({
        token: "XXYYZZ",
        team_id: "T0001",
        api_app_id: "A0001",
        event: {
          type: event,
          user: "U0001",
          text: "<@U0LAN0Z89> is it everything a river should be?",
          ts: `${nowSeconds}.000200`,
          channel: "C0001",
        },
        type: "event_callback",
        event_id: `Ev${randomHex(5).toUpperCase()}`,
        event_time: nowSeconds,
      }),
  },
  handshakeSample: {
    name: "url_verification",
    method: "POST",
    body: (challenge) => JSON.stringify({ token: "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge, type: "url_verification" }),
  },
  delivery: "signed_id",
  headers: ["x-slack-retry-num", "x-slack-retry-reason", "x-slack-request-timestamp"],
  description:
    "`X-Slack-Signature: v0=<hex HMAC-SHA256 of v0:{ts}:{body}>` with `X-Slack-Request-Timestamp`, within 300 s; `url_verification` is answered with its challenge (JSON) and not enqueued.",
  async handshake(_secrets, data) {
    const challenge = field(data, "challenge");
    return field(data, "type") === "url_verification" && challenge !== null ? json({ challenge }) : undefined;
  },
});
