/**
 * The provider catalogue: every descriptor, once. The sources' `auth` schema, the dispatch from
 * a source to its provider, the header lists and the OpenAPI text all derive from this list.
 * Adding a provider is its file, its test and one line here.
 */
import * as z from "zod";
import { basic } from "./basic";
import { bitbucket } from "./bitbucket";
import { calendly } from "./calendly";
import { clerk } from "./clerk";
import { discord } from "./discord";
import { dropbox } from "./dropbox";
import { github } from "./github";
import { gitlab } from "./gitlab";
import { hmac } from "./hmac";
import { hubspot } from "./hubspot";
import { intercom } from "./intercom";
import { key } from "./key";
import { linear } from "./linear";
import { mailgun } from "./mailgun";
import { meta } from "./meta";
import { msgraph } from "./msgraph";
import { mux } from "./mux";
import { none } from "./none";
import { paddle } from "./paddle";
import { pagerduty } from "./pagerduty";
import { postmark } from "./postmark";
import type { Provider } from "./provider";
import { resend } from "./resend";
import { sendgrid } from "./sendgrid";
import { sentry } from "./sentry";
import { shopify } from "./shopify";
import { slack } from "./slack";
import { square } from "./square";
import { standard } from "./standard";
import { stripe } from "./stripe";
import { twilio } from "./twilio";
import { twitch } from "./twitch";
import { twitter } from "./twitter";
import { typeform } from "./typeform";
import { vercel } from "./vercel";
import { zoom } from "./zoom";

export const PROVIDERS = [
  github,
  stripe,
  slack,
  shopify,
  twilio,
  standard,
  discord,
  sendgrid,
  paddle,
  linear,
  intercom,
  square,
  pagerduty,
  mailgun,
  postmark,
  typeform,
  meta,
  dropbox,
  msgraph,
  twitter,
  zoom,
  twitch,
  calendly,
  hubspot,
  clerk,
  resend,
  vercel,
  sentry,
  gitlab,
  bitbucket,
  mux,
  hmac,
  key,
  basic,
  none,
] as const;

type AuthOf<P> = P extends Provider<infer A> ? A : never;
/** A source's `auth`: one provider's options, told apart by `kind`. */
export type SourceAuth = AuthOf<(typeof PROVIDERS)[number]>;
export type ProviderKind = SourceAuth["kind"];

export const SourceAuth = z.discriminatedUnion(
  "kind",
  PROVIDERS.map((p) => p.auth) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<SourceAuth, unknown>;

const BY_KIND = new Map<string, Provider>(PROVIDERS.map((p) => [p.kind, p as unknown as Provider]));

/** The descriptor of a source's auth kind (the kind was validated against this list). */
export function providerOf<A extends SourceAuth>(auth: A): Provider<A> {
  return BY_KIND.get(auth.kind) as unknown as Provider<A>;
}

/** The descriptor of a kind, or undefined for a kind no provider has (`write_key`, a typo). */
export function providerByKind(kind: string): Provider | undefined {
  return BY_KIND.get(kind);
}

/** The `auth` options that name a Worker secret, and the field that receives its values. */
export function secretFieldsOf(kind: string): Readonly<Record<string, string>> {
  return BY_KIND.get(kind)?.secretFields ?? { secret: "secrets" };
}
