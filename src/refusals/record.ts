/**
 * The refusal hook. The ingest routes hand each refused request here, with one call where they
 * set the log line's `refused` reason, and it is written to the RefusalLog of the source's queue
 * after the answer (waitUntil, never awaited): a refusal costs the sender no extra latency, and
 * the accepted path never comes here. Cheap under a flood of bad requests: per isolate and
 * queue, one write is in flight at a time and the refusals arriving meanwhile ride on the next
 * (at most KEEP_PER_SOURCE per source, all the log keeps anyway). Only configured sources are
 * recorded, so a stranger cannot make the gateway create objects. Best effort: a failed write is
 * dropped; the log line still has the refusal.
 */

import type { Context } from "hono";
import type { AppEnv } from "../config/env";
import { inBackground } from "../http/background";
import type { GatewayError } from "../http/errors";
import type { Refusal } from "./schemas";
import { KEEP_PER_SOURCE, refusalLogStub } from "./store";

/** A write still unfinished after this long is presumed lost (its request context ended): it no longer holds back the next. */
const STALE_WRITE_MS = 10_000;

interface Outbox {
  rows: Refusal[];
  writingSince: number | null;
}
/** Refusals waiting for their queue's write, in this isolate. */
const outboxes = new Map<string, Outbox>();

/** Records the refusal the log line names (`refused`) for `source`, if that is a configured source; answers `error` unchanged. */
export function noteRefusal<C extends AppEnv, E extends GatewayError>(c: Context<C>, source: unknown, error: E): E {
  const reason = c.get("log").refused;
  const sources = c.get("config").sources;
  const queue = typeof source === "string" && Object.hasOwn(sources, source) ? sources[source]?.queue : undefined;
  // A Worker without the binding (the tests' Cloudflare stand-in runs this app too) records nothing.
  if (queue === undefined || typeof reason !== "string" || typeof source !== "string" || !c.env.REFUSALS) return error;
  const box = outboxes.get(queue) ?? { rows: [], writingSince: null };
  outboxes.set(queue, box);
  box.rows.push({ source, reason, status: error.status, at: Date.now(), request_id: c.get("requestId") });
  if (box.rows.filter((r) => r.source === source).length > KEEP_PER_SOURCE) {
    box.rows.splice(
      box.rows.findIndex((r) => r.source === source),
      1,
    );
  }
  const now = Date.now();
  if (box.writingSince !== null && now - box.writingSince < STALE_WRITE_MS) return error;
  box.writingSince = now;
  const written = drain(c.env, queue, box);
  inBackground(c, written);
  return error;
}

async function drain(env: Env, queue: string, box: Outbox): Promise<void> {
  try {
    while (box.rows.length > 0) await refusalLogStub(env, queue).record(box.rows.splice(0));
  } catch {
    // Best effort (see above).
  } finally {
    box.writingSince = null;
  }
}
