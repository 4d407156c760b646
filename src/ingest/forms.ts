/**
 * HTML form protections and browser answers: the honeypot (filled means a bot: answer exactly
 * like success, enqueue nothing; the field is never forwarded), Cloudflare Turnstile, and 303
 * redirects to the configured success or error page for browsers.
 */

import type { FormOptions } from "../config/source-schema";
import type { Item } from "./parse";

export const TURNSTILE_FIELD = "cf-turnstile-response";
export const TURNSTILE_VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

type FieldItem = Extract<Item, { kind: "form" | "json" }>;
const isObject = (data: unknown): data is Record<string, unknown> =>
  typeof data === "object" && data !== null && !Array.isArray(data);

export function honeypotFilled(item: Item, field: string): boolean {
  if (item.kind === "text" || !isObject(item.data) || !Object.hasOwn(item.data, field)) return false;
  const value = item.data[field];
  return value !== "" && value !== null && value !== undefined;
}

export function fieldValue(item: Item, field: string): string | undefined {
  if (item.kind === "text" || !isObject(item.data)) return undefined;
  const value = Object.hasOwn(item.data, field) ? item.data[field] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** The item without the gateway's own fields (honeypot, Turnstile token). */
export function withoutFields(item: Item, fields: readonly string[]): Item {
  if (item.kind === "text" || !isObject(item.data) || !fields.some((f) => Object.hasOwn(item.data as object, f)))
    return item;
  const data = Object.fromEntries(Object.entries(item.data).filter(([name]) => !fields.includes(name)));
  // Form payloads are small and have no big integers: re-serializing them is safe.
  return item.kind === "json"
    ? { kind: "json", data, json: JSON.stringify(data) }
    : ({ kind: "form", data } satisfies FieldItem);
}

export async function verifyTurnstile(
  secret: string,
  token: string | undefined,
  ip: string | undefined,
): Promise<boolean> {
  if (!token) return false;
  const body = new URLSearchParams({ secret, response: token });
  if (ip) body.set("remoteip", ip);
  try {
    const res = await fetch(TURNSTILE_VERIFY_URL, { method: "POST", body, signal: AbortSignal.timeout(5_000) });
    const outcome = (await res.json()) as { success?: unknown };
    return outcome.success === true;
  } catch {
    return false;
  }
}

export function wantsHtml(accept: string | undefined, form: FormOptions | undefined): boolean {
  return form !== undefined && (accept ?? "").toLowerCase().includes("text/html");
}

/** Where a browser goes after a post: the success page, or the error page with the error code. */
export function redirectTarget(form: FormOptions, error?: number): string | undefined {
  if (error === undefined) return form.success_url;
  if (!form.error_url) return undefined;
  const separator = form.error_url.includes("?") ? "&" : "?";
  return `${form.error_url}${separator}error=${error}`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function htmlPage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}
