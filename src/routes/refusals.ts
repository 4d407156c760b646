/**
 * GET /admin/refusals: the recent refused ingest requests (src/refusals/store.ts), newest first,
 * for the operator console. A key sees the refusals of the sources whose queue it administers,
 * as it sees only those queues' buffers and dead letters; asking for any other source, known or
 * not, is the same 403.
 */
import { Hono } from "hono";
import * as z from "zod";
import { allows } from "../auth/keys";
import type { AppEnv } from "../config/env";
import { ErrorCode, GatewayError, ok } from "../http/errors";
import { issuesToError } from "../http/validate";
import { bearer, documented, envelopeOf, responses } from "../openapi/route-docs";
import { RefusalEntry } from "../refusals/schemas";
import { KEEP_PER_SOURCE, refusalLogStub } from "../refusals/store";
import { authorize } from "./bearer";

/** A listing holds this many refusals unless `limit` says otherwise, and never more than the max. */
export const DEFAULT_REFUSALS = 100;
export const MAX_REFUSALS = 1_000;

const RefusalQuery = z.object({
  source: z.string().max(63).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_REFUSALS).default(DEFAULT_REFUSALS),
});

const RefusalList = envelopeOf(z.array(RefusalEntry)).extend({ result_info: z.object({ count: z.number().int() }) });

export const refusalRoutes = new Hono<AppEnv>().get(
  "/refusals",
  documented({
    tags: ["Admin"],
    summary: "Recent refused ingest requests of the key's sources",
    description: `Newest first: source, reason (as the log line's \`refused\`), status, time (ms) and request id; never bodies or headers. Each source keeps its last ${KEEP_PER_SOURCE}.`,
    security: bearer,
    parameters: [
      { name: "source", in: "query", description: "Only this source", schema: { type: "string" } },
      {
        name: "limit",
        in: "query",
        schema: { type: "integer", minimum: 1, maximum: MAX_REFUSALS, default: DEFAULT_REFUSALS },
      },
    ],
    responses: responses({ 200: { description: "OK", schema: RefusalList } }, [400, 401, 403]),
  }),
  async (c) => {
    const key = c.get("apiKey") ?? (await authorize(c, "admin"));
    const query = RefusalQuery.safeParse(c.req.query());
    if (!query.success) throw issuesToError(query.error.issues);
    const { source, limit } = query.data;
    const visible = Object.entries(c.get("config").sources).filter(
      ([name, s]) => allows(key, "admin", s.queue) && (source === undefined || name === source),
    );
    if (source !== undefined && visible.length === 0) {
      throw new GatewayError(
        403,
        ErrorCode.AUTHENTICATION,
        "Forbidden: this key may not administer that source's queue",
      );
    }
    const byQueue = Map.groupBy(visible, ([, s]) => s.queue);
    const lists = await Promise.all(
      [...byQueue].map(async ([queue, sources]) =>
        (
          await refusalLogStub(c.env, queue).list(
            sources.map(([name]) => name),
            limit,
          )
        ).map((r) => ({ ...r, queue })),
      ),
    );
    const entries = lists
      .flat()
      .sort((a, b) => b.at - a.at)
      .slice(0, limit);
    return c.json({ ...ok(entries), result_info: { count: entries.length } });
  },
);
