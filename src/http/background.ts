/**
 * Work that may finish after the answer: handed to the request's `waitUntil`. Without an
 * execution context (a test calling `app.request()`), the promise simply runs on its own.
 */
import type { Context } from "hono";

export function inBackground(c: Context, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context: nothing to extend.
  }
}
