/**
 * The provider catalogue: every descriptor, once. The sources' `auth` schema, the dispatch from
 * a source to its provider, the header lists and the OpenAPI text all derive from this list.
 * Adding a provider is its file, its test and one line here.
 */
import { z } from "zod";
import { basic } from "./basic";
import { github } from "./github";
import { hmac } from "./hmac";
import { key } from "./key";
import { none } from "./none";
import type { Provider } from "./provider";
import { shopify } from "./shopify";
import { slack } from "./slack";
import { standard } from "./standard";
import { stripe } from "./stripe";
import { twilio } from "./twilio";

export const PROVIDERS = [github, stripe, slack, shopify, twilio, standard, hmac, key, basic, none] as const;

type AuthOf<P> = P extends Provider<infer A> ? A : never;
/** A source's `auth`: one provider's options, told apart by `kind`. */
export type SourceAuth = AuthOf<(typeof PROVIDERS)[number]>;
export type ProviderKind = SourceAuth["kind"];

export const SourceAuth = z.discriminatedUnion("kind", PROVIDERS.map((p) => p.auth) as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<
  SourceAuth,
  unknown
>;

const BY_KIND = new Map<string, Provider>(PROVIDERS.map((p) => [p.kind, p as unknown as Provider]));

/** The descriptor of a source's auth kind (the kind was validated against this list). */
export function providerOf<A extends SourceAuth>(auth: A): Provider<A> {
  return BY_KIND.get(auth.kind) as unknown as Provider<A>;
}

/** The `auth` options that name a Worker secret, and the field that receives its values. */
export function secretFieldsOf(kind: string): Readonly<Record<string, string>> {
  return BY_KIND.get(kind)?.secretFields ?? { secret: "secrets" };
}
