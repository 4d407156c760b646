/** The URL a sender signed: the request URL, re-based on the configured public origin (proxies change scheme, host and port). */
export function signedUrl(requestUrl: string, publicBaseUrl: string | undefined): URL {
  const url = new URL(requestUrl);
  if (!publicBaseUrl) return url;
  const base = new URL(publicBaseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${url.pathname}${url.search}`, base.origin);
}
