/**
 * Dropbox: `X-Dropbox-Signature: <hex HMAC-SHA256 of the body>` with the app secret, no prefix,
 * no timestamp. https://www.dropbox.com/developers/reference/webhooks
 * Enabling a webhook, Dropbox sends `GET ?challenge=…`, unsigned, and expects it echoed as
 * `text/plain` with `X-Content-Type-Options: nosniff` (the route adds nosniff to every
 * handshake answer). Notifications only say "these accounts changed" (`list_folder.accounts`):
 * no event type, no id, so repeats are recognised by the signed body.
 */
import { hmacPreset } from "./hmac-preset";
import { defineProvider, text } from "./provider";
import { randomHex } from "./sample";

/** Dropbox's challenges are short random strings; anything longer is not Dropbox's and is not echoed. */
export const MAX_CHALLENGE_CHARS = 256;

const preset = hmacPreset({
  kind: "dropbox",
  title: "Dropbox",
  docs: "https://www.dropbox.com/developers/reference/webhooks",
  scheme: { header: "x-dropbox-signature" },
  identify: (_headers, data) => ({
    event: typeof data === "object" && data !== null && Object.hasOwn(data, "list_folder") ? "list_folder" : null,
    delivery_id: null,
  }),
  example: { secret: "DROPBOX_APP_SECRET", accept: ["json"] },
  sample: {
    event: "list_folder",
    body: () => JSON.stringify({ list_folder: { accounts: [`dbid:${randomHex(16)}`] }, delta: { users: [12345678] } }),
  },
  handshakeSample: { name: "challenge", method: "GET", query: (challenge) => ({ challenge }) },
  delivery: "signed_body",
  headers: ["user-agent"],
  description:
    "`X-Dropbox-Signature: <hex HMAC-SHA256 of the body>` with the app secret; no timestamp, repeats are recognised by the signed body. `GET ?challenge=…` is echoed 200 text/plain with `X-Content-Type-Options: nosniff`.",
});

export const dropbox = defineProvider({
  ...preset,
  async challenge(_auth, { method, url }) {
    if (method !== "GET" && method !== "HEAD") return undefined;
    const challenge = url.searchParams.get("challenge");
    return challenge && challenge.length <= MAX_CHALLENGE_CHARS ? text(challenge) : undefined;
  },
});
