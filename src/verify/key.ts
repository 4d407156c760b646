/**
 * App keys for ingest: the gateway's own API keys, presented as `Authorization: Bearer <key>` or
 * in a named header, hashed and compared in constant time; the key needs the `push` scope on the
 * source's queue.
 */
import { allows, findKey } from "../auth/keys";
import type { KeyConfig } from "../config/schema";
import type { VerifyInput } from "./input";
import { refuse, type VerifyResult } from "./result";

export interface KeyCheck {
  result: VerifyResult;
  /** The key's name, for per-key rate limits and the log. */
  keyName?: string;
}

export async function verifyKey(keys: readonly KeyConfig[], queue: string, header: string | undefined, input: VerifyInput): Promise<KeyCheck> {
  let presented: string | undefined;
  if (header) presented = input.headers.get(header)?.trim() || undefined;
  else presented = /^Bearer +([\x21-\x7e]+) *$/i.exec(input.headers.get("authorization") ?? "")?.[1];
  if (!presented) return { result: refuse("missing_credentials") };
  const key = await findKey(keys, presented);
  if (!key) return { result: refuse("unknown_credentials") };
  if (!allows(key, "push", queue)) return { result: refuse("unknown_credentials"), keyName: key.name };
  return { result: { ok: true }, keyName: key.name };
}
