/**
 * Postmark: no signature of any kind. Its webhooks authenticate with HTTP Basic credentials
 * written into the webhook URL (`https://user:password@host/ingest/postmark`), so this is the
 * `basic` scheme under Postmark's name, with its event naming: header only, checked before the
 * body is read. https://postmarkapp.com/developer/webhooks/webhooks-overview
 * Deliveries: Postmark sends no delivery id, and `MessageID` is not one (a message's Delivery,
 * Open, Click and Bounce events all share it: keyed on it, the second event of a message would
 * be refused as a conflict). A retry resends the same body, and the request is authenticated as
 * a whole, so repeats are recognised by the body.
 */
import { toBase64 } from "../lib/encoding";
import { basic } from "./basic";
import { credential, defineProvider, field, secretAuth } from "./provider";
import { isoAt, randomInt, uuid } from "./sample";

export const PostmarkAuth = secretAuth("postmark");

export const postmark = defineProvider({
  kind: "postmark",
  title: "Postmark",
  docs: "https://postmarkapp.com/developer/webhooks/webhooks-overview",
  auth: PostmarkAuth,
  readsBody: false,
  verify: (auth, input, context) => basic.verify({ ...auth, kind: "basic" }, input, context),
  identify: (_headers, data) => ({ event: field(data, "RecordType"), delivery_id: null }),
  delivery: "signed_body",
  headers: ["user-agent"],
  secretHeaders: [],
  example: { auth: { kind: "postmark", secret: "POSTMARK_CREDENTIALS" }, accept: ["json"] },
  // The `user:password` of the webhook URL, sent as HTTP Basic (UTF-8).
  sign: async (_auth, credentials) => ({
    headers: { authorization: `Basic ${toBase64(credential(credentials, "secret"))}` },
  }),
  sample: {
    event: "Delivery",
    body: (event, nowSeconds) =>
      JSON.stringify({
        RecordType: event,
        ServerID: 23,
        MessageStream: "outbound",
        MessageID: uuid(),
        Recipient: "john@example.com",
        Tag: "welcome-email",
        DeliveredAt: isoAt(nowSeconds),
        Details: `Test delivery webhook details ${randomInt()}`,
      }),
  },
  openapi: {
    description:
      "Postmark (https://postmarkapp.com/developer/webhooks/webhooks-overview): HTTP Basic credentials (`user:password`) in the webhook URL; Postmark signs nothing. Event from the body's `RecordType`; repeats are recognised by the body.",
    security: () => ({ type: "http", scheme: "basic" }),
  },
});
