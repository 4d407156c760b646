/**
 * Talking to the gateway, and what goes wrong doing so, as exit codes scripts can rely on:
 *   0 done · 1 refused by the gateway (any non-2xx answer) · 2 usage (the command line, or
 *   nothing to send) · 3 no answer (connection refused, DNS, timeout).
 */
import * as z from "zod";

export const ExitCode = { OK: 0, REFUSED: 1, USAGE: 2, CONNECTION: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure to report in one line (plus a hint), ending the command with its exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string, hint?: string) => new CliError(message, ExitCode.USAGE, hint);

/** How long one request may take before the gateway counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The development gateway (`npm run dev`) and its development key (README). */
export const DEFAULT_URL = "http://127.0.0.1:8787";
export const DEV_KEY = "local-dev-key";

/** The gateway's base URL: `--url`, else TRIBUTARY_URL, else the development one. */
export function gatewayUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): URL {
  const text = flag ?? env.TRIBUTARY_URL ?? DEFAULT_URL;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw usageError(`--url: not an http(s) URL: ${text}`);
  return url;
}

/** `path` under the gateway's base URL, keeping a base path (`https://host/gateway`). */
export function under(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, "")}${path}`);
}

const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  ECONNRESET: "connection reset",
};
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** fetch, with network failures as exit code 3 and a hint at what to check. */
export async function send(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const hint = LOOPBACK.test(url.hostname) ? "is `npm run dev` running?" : "check --url";
    if (err instanceof Error && err.name === "TimeoutError") {
      throw new CliError(
        `no answer from ${url.origin} within ${REQUEST_TIMEOUT_MS / 1000} s`,
        ExitCode.CONNECTION,
        hint,
      );
    }
    const reason =
      (cause?.code && NETWORK_ERRORS[cause.code]) ?? cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(`cannot reach ${url.origin} (${reason})`, ExitCode.CONNECTION, hint);
  }
}

/** Cloudflare's envelope, as the gateway answers its APIs; listings page with result_info.cursor. */
const Envelope = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })).default([]),
  result: z.unknown(),
  result_info: z.object({ cursor: z.string().nullable().optional() }).optional(),
});

export interface Gateway {
  base: URL;
  key: string;
  /** Where the key came from, to say what to check when it is refused. */
  keySource: string;
}

/** The gateway key: `--key`, else TRIBUTARY_KEY (kept out of `ps`), else the development key. */
export function gatewayKey(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { key: string; keySource: string } {
  if (flag !== undefined) return { key: flag, keySource: "--key" };
  if (env.TRIBUTARY_KEY) return { key: env.TRIBUTARY_KEY, keySource: "TRIBUTARY_KEY" };
  return { key: DEV_KEY, keySource: `the development key (${DEV_KEY}); pass --key or set TRIBUTARY_KEY` };
}

/** A call to the gateway's APIs: the envelope's `result`, checked with `schema`, or a CliError. */
export async function api<T extends z.ZodType>(
  gateway: Gateway,
  path: string,
  body: unknown,
  schema: T,
): Promise<z.infer<T>> {
  return (await apiPage(gateway, path, body, schema)).result;
}

/** The same, with the next page's cursor (null after the last page). */
export async function apiPage<T extends z.ZodType>(
  gateway: Gateway,
  path: string,
  body: unknown,
  schema: T,
): Promise<{ result: z.infer<T>; cursor: string | null }> {
  const headers: Record<string, string> = { authorization: `Bearer ${gateway.key}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const init =
    body === undefined ? { method: "GET", headers } : { method: "POST", headers, body: JSON.stringify(body) };
  const response = await send(under(gateway.base, path), init);
  const text = await response.text();
  const envelope = parseEnvelope(text);
  if (!response.ok || !envelope?.success) throw refusal(response.status, envelope?.errors ?? [], text, gateway);
  const result = schema.safeParse(envelope.result);
  if (!result.success)
    throw new CliError(
      `unexpected answer from ${gateway.base.origin}${path}: ${result.error.issues[0]?.message}`,
      ExitCode.REFUSED,
    );
  return { result: result.data, cursor: envelope.result_info?.cursor ?? null };
}

function parseEnvelope(text: string): z.infer<typeof Envelope> | undefined {
  try {
    const parsed = Envelope.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal, in the gateway's words, with what to check. */
export class Refusal extends CliError {
  constructor(
    readonly status: number,
    readonly codes: readonly number[],
    message: string,
    hint?: string,
  ) {
    super(message, ExitCode.REFUSED, hint);
  }
}

function refusal(
  status: number,
  errors: readonly { code: number; message: string }[],
  text: string,
  gateway: Gateway,
): Refusal {
  const said = errors.length
    ? errors.map((e) => `${e.message} (${e.code})`).join("; ")
    : text.slice(0, 200) || "no body";
  const hint =
    status === 401
      ? `check the gateway key: ${gateway.keySource}`
      : status === 403
        ? "the key lacks the scope or the queue: see its entry in GATEWAY_KEYS"
        : status === 404
          ? `check the queue name and --url (${gateway.base.origin})`
          : undefined;
  return new Refusal(
    status,
    errors.map((e) => e.code),
    `${status}: ${said}`,
    hint,
  );
}
