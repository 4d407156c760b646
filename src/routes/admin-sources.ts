/**
 * GET /admin/sources: the sources a key may see, each with its rules and their counters, so an
 * operator can tell what a rule does in production (how often it matched, routed, dropped). A
 * source belongs to its queue: a key sees the sources whose queue it administers, as it sees only
 * those queues' buffers. Counters are summed across isolates (src/rules/counters.ts): this
 * isolate's pending counts are flushed first, other isolates' within their flush interval.
 */
import { Hono } from "hono";
import * as z from "zod";
import { allows } from "../auth/keys";
import type { AppEnv } from "../config/env";
import { ok } from "../http/errors";
import { bearer, documented, envelopeOf, responses } from "../openapi/route-docs";
import { readCounts } from "../rules/counters";
import { describeRules } from "../rules/describe";
import { actionOf } from "../rules/match";
import { Condition } from "../rules/schema";
import { authorize } from "./bearer";

const Counts = z.object({ matched: z.number().int(), routed: z.number().int(), dropped: z.number().int() });

const RuleState = z.object({
  index: z.number().int(),
  name: z.string().nullable(),
  /** As declared; null matches every event that reaches the rule. */
  match: Condition.nullable(),
  action: z.enum(["route", "drop", "continue"]),
  queues: z.array(z.string()),
  /** Whether evaluation goes on after this rule matched. */
  continue: z.boolean(),
  counters: Counts,
});

const SourceState = z.object({
  name: z.string(),
  /** The auth kind (the provider, or key, basic, none, write_key). */
  kind: z.string(),
  /** The source's own queue: where events go that no rule routes. */
  queue: z.string(),
  rules: z.array(RuleState),
  /** The rules in words, as /openapi.json shows them ("" without rules). */
  description: z.string(),
  /** Events the rules saw, sent to `queue` by default, and dropped; null without rules (nothing is counted). */
  counters: z.object({ events: z.number().int(), defaulted: z.number().int(), dropped: z.number().int() }).nullable(),
});
export type SourceState = z.infer<typeof SourceState>;

export const sourceRoutes = new Hono<AppEnv>().get(
  "/sources",
  documented({
    tags: ["Admin"],
    summary: "The key's sources with their rules and rule counters",
    description:
      "Sources whose queue the key administers. Per rule: how often its match held (`matched`), it routed an event (`routed`), it dropped one (`dropped`); per source: events seen, sent to the source's queue by default, dropped. Counted on accepted requests, not repeats; summed across isolates within seconds.",
    security: bearer,
    responses: responses({ 200: { description: "OK", schema: envelopeOf(z.array(SourceState)) } }, [401, 403]),
  }),
  async (c) => {
    const key = c.get("apiKey") ?? (await authorize(c, "admin"));
    const visible = Object.entries(c.get("config").sources).filter(([, source]) => allows(key, "admin", source.queue));
    const result: SourceState[] = await Promise.all(
      visible.map(async ([name, source]) => {
        const counts = source.rules.length ? await readCounts(c.env, name, source.rules) : undefined;
        return {
          name,
          kind: source.auth.kind,
          queue: source.queue,
          rules: source.rules.map((rule, index) => ({
            index,
            name: rule.name ?? null,
            match: rule.match ?? null,
            action: actionOf(rule),
            queues: rule.route ?? [],
            continue: actionOf(rule) === "continue" || rule.continue === true,
            counters: counts?.rules[index] ?? { matched: 0, routed: 0, dropped: 0 },
          })),
          description: describeRules(source.rules, source.queue),
          counters: counts ? { events: counts.events, defaulted: counts.defaulted, dropped: counts.dropped } : null,
        };
      }),
    );
    return c.json(ok(result));
  },
);
