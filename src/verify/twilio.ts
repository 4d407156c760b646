/**
 * Twilio: `X-Twilio-Signature`, base64 HMAC-SHA1 with the auth token over the full public URL,
 * then, for form posts, every parameter as name+value sorted by name (repeated names: values
 * sorted). JSON posts carry `bodySHA256=<hex sha256(body)>` in the URL and sign the URL only.
 * Proxies change scheme and port, so the public base URL is configurable; like Twilio's SDK we
 * accept the URL with and without the default port.
 */
import { timingSafeEqualBytes } from "../auth/keys";
import { fromBase64, fromHex } from "../encoding";
import { concatBytes, hmacVerifyAny } from "./hmac";
import type { Secrets, VerifyInput } from "./input";
import { refuse, type VerifyResult, verified } from "./result";

const decoder = new TextDecoder();

export async function verifyTwilio(secrets: Secrets, input: VerifyInput): Promise<VerifyResult> {
  const header = input.headers.get("x-twilio-signature");
  if (!header) return refuse("missing_signature");
  const signature = fromBase64(header.trim());
  if (signature?.byteLength !== 20) return refuse("malformed_signature");

  const bodyHash = input.url.searchParams.get("bodySHA256");
  let params = "";
  if (bodyHash !== null) {
    const expected = fromHex(bodyHash);
    const actual = new Uint8Array(await crypto.subtle.digest("SHA-256", input.body));
    if (!expected || !timingSafeEqualBytes(expected, actual)) return refuse("body_hash_mismatch");
  } else {
    params = sortedParams(new URLSearchParams(decoder.decode(input.body)));
  }
  const candidates = urlVariants(input.url).map((url) => concatBytes(url, params));
  for (const data of candidates) {
    if (await hmacVerifyAny("sha1", secrets, data, [signature])) return verified;
  }
  return refuse("signature_mismatch");
}

export function sortedParams(params: URLSearchParams): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
  return [...byName.keys()]
    .sort()
    .map((name) =>
      (byName.get(name) ?? [])
        .sort()
        .map((value) => name + value)
        .join(""),
    )
    .join("");
}

/** The URL as given, plus the same URL with the default port added or removed. */
function urlVariants(url: URL): string[] {
  const href = url.href;
  const defaultPort = url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "";
  if (!defaultPort) return [href];
  if (url.port === "") {
    return [href, href.replace(`${url.protocol}//${url.host}`, `${url.protocol}//${url.hostname}:${defaultPort}`)];
  }
  return [href];
}
