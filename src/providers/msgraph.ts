/**
 * Microsoft Graph change notifications (webhook delivery). Nothing is signed: every notification
 * in `{"value":[…]}` carries the `clientState` secret given when the subscription was created,
 * and each one must match a configured client state (constant time), or the whole request is
 * refused. Lifecycle notifications (`lifecycleEvent`) carry it too and are enqueued alike.
 * https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
 *
 * Subscribing, Graph validates the URL with an unsigned `POST ?validationToken=…` (text/plain,
 * no clientState): answered before the body is read, 200 text/plain with the decoded token.
 *
 * Delivery basis: there is no delivery id, and `subscriptionId`, `resource`… are ordinary body
 * fields. The body as a whole is authenticated (by clientState, not by a signature), and Graph
 * resends the same body when it sees no 2xx: repeats are recognised by that body
 * ("signed_body": the authenticated body, whatever authenticated it).
 */
import type * as z from "zod";
import { matchesAnySecret } from "../auth/keys";
import { type Result, success, unauthorized } from "../lib/result";
import { credential, defineProvider, field, secretAuth, text } from "./provider";
import { isoAt, jsonObject, uuid } from "./sample";

/** Graph's tokens are ~100 characters; longer ones are not Graph's and are not echoed. */
export const MAX_VALIDATION_TOKEN_CHARS = 1024;
/** Notifications per request: Graph batches a handful; each costs a comparison per client state. */
export const MAX_NOTIFICATIONS = 100;

export const MsGraphAuth = secretAuth("msgraph");
export type MsGraphAuth = z.infer<typeof MsGraphAuth>;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The notifications of a body, or undefined when it is not `{"value":[objects…]}` within bounds. */
function notifications(body: Uint8Array): Record<string, unknown>[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(utf8.decode(body));
  } catch {
    return undefined;
  }
  const value = typeof data === "object" && data !== null ? (data as { value?: unknown }).value : undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_NOTIFICATIONS) return undefined;
  return value.every((n) => typeof n === "object" && n !== null && !Array.isArray(n)) ? value : undefined;
}

/** Every notification's clientState matches a configured one (no early exit over states). */
async function checkClientStates(
  states: readonly string[],
  items: readonly Record<string, unknown>[],
): Promise<Result<void>> {
  let missing = false;
  let mismatch = false;
  for (const item of items) {
    const presented = item.clientState;
    if (typeof presented !== "string" || presented === "") {
      missing = true;
      continue;
    }
    if (!(await matchesAnySecret(presented, states))) mismatch = true;
  }
  if (missing) return unauthorized("missing_credentials");
  return mismatch ? unauthorized("signature_mismatch") : success(undefined);
}

/** The change type (or lifecycle event) shared by every notification, else null. */
function graphEvent(data: unknown): string | null {
  const value = typeof data === "object" && data !== null ? (data as { value?: unknown }).value : undefined;
  if (!Array.isArray(value)) return null;
  const events = new Set(value.map((n) => field(n, "lifecycleEvent") ?? field(n, "changeType")));
  const [only] = events;
  return events.size === 1 && only !== undefined ? only : null;
}

export const msgraph = defineProvider<MsGraphAuth>({
  kind: "msgraph",
  title: "Microsoft Graph",
  docs: "https://learn.microsoft.com/graph/change-notifications-delivery-webhooks",
  auth: MsGraphAuth,
  readsBody: true,
  async verify(auth, input) {
    const items = notifications(input.body);
    if (!items) return unauthorized("malformed_signature");
    const states = await checkClientStates(auth.secrets, items);
    return states.ok ? success({}) : states;
  },
  async challenge(_auth, { method, url }) {
    if (method !== "POST") return undefined;
    // URLSearchParams decodes the token, as Graph requires ("the URL decoded plain text validation token").
    const token = url.searchParams.get("validationToken");
    return token && token.length <= MAX_VALIDATION_TOKEN_CHARS ? text(token) : undefined;
  },
  identify: (_headers, data) => ({ event: graphEvent(data), delivery_id: null }),
  delivery: "signed_body",
  headers: ["user-agent"],
  secretHeaders: [],
  example: { auth: { kind: "msgraph", secret: "MSGRAPH_CLIENT_STATE" }, accept: ["json"] },
  // The client state rides in every notification: Graph sends back what the subscription was given.
  async sign(_auth, credentials, request) {
    const clientState = credential(credentials, "secret");
    const data = jsonObject(request.body);
    if (!Array.isArray(data.value)) throw new TypeError('a Graph notification body is {"value":[…]}');
    return {
      headers: {},
      body: JSON.stringify({
        ...data,
        value: data.value.map((item: unknown) => ({ ...(item as object), clientState })),
      }),
    };
  },
  sample: {
    event: "created",
    body: (event, nowSeconds) =>
      JSON.stringify({
        value: [
          {
            subscriptionId: uuid(),
            subscriptionExpirationDateTime: isoAt(nowSeconds + 3600),
            changeType: event,
            resource: `Users/${uuid()}/Messages/${uuid()}`,
            resourceData: { "@odata.type": "#Microsoft.Graph.Message", id: uuid() },
            tenantId: uuid(),
          },
        ],
      }),
  },
  handshakeSample: {
    name: "validationToken",
    method: "POST",
    contentType: "text/plain",
    query: (challenge) => ({ validationToken: challenge }),
  },
  openapi: {
    description:
      "Microsoft Graph (https://learn.microsoft.com/graph/change-notifications-delivery-webhooks): unsigned; every notification in `value` must carry a configured `clientState` (up to 100 per request), else 401; repeats are recognised by the body. The validation `POST ?validationToken=…` is answered 200 text/plain with the decoded token.",
    security: () => undefined,
  },
});
