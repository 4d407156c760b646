/** Dispatches a source's producer authentication to its verifier (one exhaustive switch). */
import type { KeyConfig } from "../config/schema";
import type { SourceConfig } from "../ingest/source-schema";
import { verifyBasic } from "./basic";
import { verifyGenericHmac } from "./generic-hmac";
import { verifyGitHub } from "./github";
import type { VerifyInput } from "./input";
import { type KeyCheck, verifyKey } from "./key";
import { verified } from "./result";
import { verifyShopify } from "./shopify";
import { verifySlack } from "./slack";
import { verifyStandard } from "./standard";
import { verifyStripe } from "./stripe";
import { verifyTwilio } from "./twilio";

export async function verifySource(source: SourceConfig, keys: readonly KeyConfig[], input: VerifyInput): Promise<KeyCheck> {
  const auth = source.auth;
  switch (auth.kind) {
    case "github":
      return { result: await verifyGitHub(auth.secrets, input) };
    case "stripe":
      return { result: await verifyStripe(auth.secrets, input, auth.tolerance_seconds) };
    case "slack":
      return { result: await verifySlack(auth.secrets, input, auth.tolerance_seconds) };
    case "shopify":
      return { result: await verifyShopify(auth.secrets, input) };
    case "twilio":
      return { result: await verifyTwilio(auth.secrets, input) };
    case "standard":
      return { result: await verifyStandard(auth.secrets, input, auth.tolerance_seconds) };
    case "hmac":
      return { result: await verifyGenericHmac(auth.secrets, auth, input) };
    case "key":
      return verifyKey(keys, source.queue, auth.header, input);
    case "basic":
      return verifyBasic(auth.secrets, input);
    case "none":
      return { result: verified };
  }
}

/**
 * The URL a sender signed: the request URL, re-based on the configured public base URL. Twilio
 * sources always pass theirs (required by the schema): the Host header is the client's to choose.
 */
export function signedUrl(requestUrl: string, publicBaseUrl: string | undefined): URL {
  const url = new URL(requestUrl);
  if (!publicBaseUrl) return url;
  const base = new URL(publicBaseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${url.pathname}${url.search}`, base.origin);
}
