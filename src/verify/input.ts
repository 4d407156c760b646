/** What every verifier sees: the raw body bytes (read once), the headers, the URL and the clock. */
export interface VerifyInput {
  body: Uint8Array;
  headers: Headers;
  /** The URL the sender signed (public base URL applied), for schemes that sign it. */
  url: URL;
  nowSeconds: number;
}

/** A secret list from config: rotation means any of them may have signed the request. */
export type Secrets = readonly string[];
