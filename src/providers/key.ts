/**
 * Gateway API keys, for apps and servers: `Authorization: Bearer <key>` or a named header, hashed
 * and compared in constant time; the key needs the `push` scope on the source's queue. Header
 * only: the key is checked before the body is read. The caller is the key's name.
 */
import * as z from "zod";
import { allows, findKey } from "../auth/keys";
import { success, unauthorized } from "../lib/result";
import { defineProvider, noIdentity } from "./provider";

export const KeyAuth = z.object({ kind: z.literal("key"), header: z.string().toLowerCase().optional() });
export type KeyAuth = z.infer<typeof KeyAuth>;

export const key = defineProvider<KeyAuth>({
  kind: "key",
  title: "Gateway key",
  docs: "README.md#the-queues-api",
  auth: KeyAuth,
  readsBody: false,
  async verify(auth, input, context) {
    const presented = auth.header
      ? input.headers.get(auth.header)?.trim() || undefined
      : /^Bearer +([\x21-\x7e]+) *$/i.exec(input.headers.get("authorization") ?? "")?.[1];
    if (!presented) return unauthorized("missing_credentials");
    const found = await findKey(context.keys, presented);
    if (!found || !allows(found, "push", context.queue)) return unauthorized("unknown_credentials");
    return success({ caller: found.name });
  },
  identify: () => noIdentity,
  delivery: "caller_id",
  headers: ["user-agent"],
  secretHeaders: [],
  configuredSecretHeaders: (auth) => (auth.header ? [auth.header] : []),
  openapi: {
    description:
      "A gateway key with the `push` scope on the source's queue, as `Authorization: Bearer <key>` (or the configured header).",
    security: (auth) => (auth.header ? { type: "apiKey", header: auth.header } : { type: "http", scheme: "bearer" }),
  },
});
