/**
 * Source rules, as zod schemas (the schemas are the types). A source may list rules that filter,
 * route and fan out its events; they are declarative and bounded so that evaluating them costs a
 * few microseconds whatever a sender posts: no user code, no regular expressions, limited
 * nesting, conditions, values and rules (the limits below). What they mean is in ./match.ts;
 * cross-checks against the rest of the configuration (queue names, forwarded headers) in
 * ./check.ts.
 *
 *   rules = [
 *     { match: { event: "push" }, route: "builds" },
 *     { match: { event: ["issues", "pull_request"] }, route: ["triage"] },
 *     { match: { path: "ref", prefix: "refs/tags/" }, route: ["releases", "audit"] },
 *     { route: "audit", continue: true },          // no match: every event that gets here
 *     { match: { event: "ping" }, drop: true },
 *   ]
 */
import * as z from "zod";

/** Rules per source. */
export const MAX_RULES_PER_SOURCE = 50;
/** Leaf conditions (event, header, path) per rule, however they are nested. */
export const MAX_CONDITIONS_PER_RULE = 20;
/** Levels of conditions: the rule's `match` is level 1, each all/any/not adds one. */
export const MAX_MATCH_DEPTH = 3;
/** Queues one rule routes to (fan-out). */
export const MAX_ROUTE_QUEUES = 5;
/** Characters of one event name or glob. */
export const MAX_PATTERN_CHARS = 200;
/** Event names or globs in one `event` condition. */
export const MAX_EVENT_PATTERNS = 20;
/** Characters of a compared string (equals, one_of, prefix). */
export const MAX_VALUE_CHARS = 256;
/** Values in one `one_of`. */
export const MAX_ONE_OF_VALUES = 50;
/** Segments of a payload path, and characters of each. */
export const MAX_PATH_SEGMENTS = 16;
export const MAX_SEGMENT_CHARS = 200;

const EventPattern = z.string().min(1).max(MAX_PATTERN_CHARS);

/** A JSON scalar; objects and arrays are not compared (use a path into them). */
export const Scalar = z.union([z.string().max(MAX_VALUE_CHARS), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

/**
 * Where in the payload: `"data.object.status"` (dots separate keys; a numeric segment indexes an
 * array), or a list for keys that contain dots: `["metadata", "a.b", 0]`.
 */
export const PayloadPath = z.union([
  z
    .string()
    .min(1)
    .max(MAX_PATH_SEGMENTS * (MAX_SEGMENT_CHARS + 1))
    .refine(
      (path) =>
        path.split(".").length <= MAX_PATH_SEGMENTS &&
        path.split(".").every((s) => s.length > 0 && s.length <= MAX_SEGMENT_CHARS),
      {
        error: `dot-separated, at most ${MAX_PATH_SEGMENTS} non-empty segments of at most ${MAX_SEGMENT_CHARS} characters`,
      },
    ),
  z
    .array(z.union([z.string().min(1).max(MAX_SEGMENT_CHARS), z.number().int().min(0)]))
    .min(1)
    .max(MAX_PATH_SEGMENTS),
]);
export type PayloadPath = z.infer<typeof PayloadPath>;

/** Lowercase, as envelopes carry them (./check.ts makes sure the source forwards it). */
const HeaderName = z
  .string()
  .toLowerCase()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "a header name");

const SUBJECTS = ["event", "header", "path", "all", "any", "not"] as const;
const OPERATORS = ["equals", "one_of", "exists", "prefix"] as const;

/**
 * One test. Exactly one subject:
 *  - `event`: the normalized event name is this name or matches this glob (`invoice.*`), or any
 *    of a list; an event-less message matches none;
 *  - `header` (a header the envelope carries) or `path` (into the payload) with exactly one
 *    operator: `equals` a scalar, `one_of` a list, `exists` (true/false), `prefix` (strings);
 *  - `all` / `any` of a list of conditions, or `not` one.
 */
export const Condition = z
  .strictObject({
    event: z.union([EventPattern, z.array(EventPattern).min(1).max(MAX_EVENT_PATTERNS)]).optional(),
    header: HeaderName.optional(),
    path: PayloadPath.optional(),
    equals: Scalar.optional(),
    one_of: z.array(Scalar).min(1).max(MAX_ONE_OF_VALUES).optional(),
    exists: z.boolean().optional(),
    prefix: z.string().min(1).max(MAX_VALUE_CHARS).optional(),
    get all() {
      return z.array(Condition).min(1).max(MAX_CONDITIONS_PER_RULE).optional();
    },
    get any() {
      return z.array(Condition).min(1).max(MAX_CONDITIONS_PER_RULE).optional();
    },
    get not() {
      return Condition.optional();
    },
  })
  .superRefine((condition, ctx) => {
    const subjects = SUBJECTS.filter((k) => condition[k] !== undefined);
    const operators = OPERATORS.filter((k) => condition[k] !== undefined);
    if (subjects.length !== 1) {
      ctx.addIssue({ code: "custom", message: `a condition has exactly one of ${SUBJECTS.join(", ")}` });
      return;
    }
    const [subject] = subjects;
    if (subject === "header" || subject === "path") {
      if (operators.length !== 1)
        ctx.addIssue({
          code: "custom",
          message: `a ${subject} condition needs exactly one of ${OPERATORS.join(", ")}`,
        });
      if (subject === "header") {
        if (condition.equals !== undefined && typeof condition.equals !== "string") {
          ctx.addIssue({ code: "custom", path: ["equals"], message: "header values are strings" });
        }
        if (condition.one_of?.some((v) => typeof v !== "string"))
          ctx.addIssue({ code: "custom", path: ["one_of"], message: "header values are strings" });
      }
    } else if (operators.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: [operators[0]!],
        message: `applies to header and path conditions, not to ${subject}`,
      });
    }
  });
export type Condition = z.infer<typeof Condition>;

/** The single queue name or a list; always a list once parsed. */
const Route = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(MAX_ROUTE_QUEUES)], {
    error: `a queue name, or a list of 1 to ${MAX_ROUTE_QUEUES} queue names`,
  })
  .transform((route) => (typeof route === "string" ? [route] : route))
  .refine((queues) => new Set(queues).size === queues.length, { error: "names a queue twice" });

/**
 * A rule: an optional `match` (absent: every event that reaches the rule) and one action:
 *  - `route: [queues]`      add these queues and stop;
 *  - `route` + `continue`   add these queues and go on to the next rule;
 *  - `drop: true`           stop; the event is never enqueued anywhere (answered like success);
 *  - `continue: true`       only count the match and go on.
 * `name` labels the rule's counters and documentation.
 */
export const Rule = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    match: Condition.optional(),
    route: Route.optional(),
    drop: z.literal(true).optional(),
    continue: z.boolean().optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.drop && rule.route)
      ctx.addIssue({ code: "custom", path: ["drop"], message: "a rule either routes or drops, not both" });
    else if (rule.drop && rule.continue)
      ctx.addIssue({ code: "custom", path: ["continue"], message: "drop stops evaluation: it cannot continue" });
    else if (!rule.drop && !rule.route && rule.continue !== true) {
      ctx.addIssue({ code: "custom", message: "a rule needs an action: route, drop: true or continue: true" });
    }
    if (rule.match) checkBounds(rule.match, ctx);
  });
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;

export const Rules = z.array(Rule).max(MAX_RULES_PER_SOURCE);

/** Nesting depth and leaf count, reported at the first place that goes past them. */
function checkBounds(match: Condition, ctx: z.RefinementCtx): void {
  let leaves = 0;
  let reported = false;
  const walk = (condition: Condition, path: (string | number)[], depth: number) => {
    if (reported) return;
    if (depth > MAX_MATCH_DEPTH) {
      ctx.addIssue({ code: "custom", path, message: `conditions nest at most ${MAX_MATCH_DEPTH} levels deep` });
      reported = true;
      return;
    }
    const list = condition.all ? "all" : condition.any ? "any" : undefined;
    if (list) for (const [i, c] of condition[list]!.entries()) walk(c, [...path, list, i], depth + 1);
    else if (condition.not) walk(condition.not, [...path, "not"], depth + 1);
    else if (++leaves > MAX_CONDITIONS_PER_RULE) {
      ctx.addIssue({
        code: "custom",
        path: ["match"],
        message: `a rule has at most ${MAX_CONDITIONS_PER_RULE} conditions`,
      });
      reported = true;
    }
  };
  walk(match, ["match"], 1);
}
