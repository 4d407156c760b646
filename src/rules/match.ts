/**
 * What a source's rules decide for one event: pure evaluation over {event, headers, data}, no
 * I/O. Rules run in order; each whose match holds is counted, then:
 *  - `route` adds its queues and stops (with `continue: true` it adds them and goes on);
 *  - `drop` stops, and the event goes nowhere, whatever earlier rules added;
 *  - `continue` goes on.
 * When the rules end without a drop and no rule routed, the event goes to the source's own
 * queue. Rules are compiled once per configuration (closures over pre-split paths, sets and
 * globs), so an evaluation is a few property reads and string compares per condition.
 */
import { compileGlob, globMatches, hasStar } from "./glob";
import type { Condition, PayloadPath, Rule, Scalar } from "./schema";

/** What a rule sees of one event: the envelope's event name and headers, and the parsed payload. */
export interface RuleInput {
  event: string | null;
  /** The allowlisted headers the envelope carries (lowercase names). */
  headers: Readonly<Record<string, string>>;
  data: unknown;
}

export interface Decision {
  /** Where the event goes, in the order rules named them; empty when dropped. */
  queues: string[];
  dropped: boolean;
  /** No rule routed: the source's own queue. */
  defaulted: boolean;
  /** Indexes of the rules whose match held (evaluated, in order). */
  matched: number[];
  /** Indexes of the route rules whose queues the event went to. */
  routedBy: number[];
  /** The drop rule that stopped it. */
  droppedBy: number | null;
}

type Test = (input: RuleInput) => boolean;
type Action = "route" | "drop" | "continue";

interface CompiledRule {
  test: Test;
  action: Action;
  queues: readonly string[];
  stops: boolean;
}

const MISSING = Symbol("missing");
type Found = unknown | typeof MISSING;

const compiledRules = new WeakMap<readonly Rule[], CompiledRule[]>();

export function actionOf(rule: Rule): Action {
  return rule.drop ? "drop" : rule.route ? "route" : "continue";
}

export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  let compiled = compiledRules.get(rules);
  if (!compiled) {
    compiled = rules.map((rule) => {
      const action = actionOf(rule);
      return {
        test: rule.match ? compileCondition(rule.match) : () => true,
        action,
        queues: rule.route ?? [],
        stops: action === "drop" || (action === "route" && rule.continue !== true),
      };
    });
    compiledRules.set(rules, compiled);
  }
  return compiled;
}

export function decide(rules: readonly Rule[], input: RuleInput, defaultQueue: string): Decision {
  const compiled = compileRules(rules);
  const matched: number[] = [];
  const routedBy: number[] = [];
  const queues: string[] = [];
  for (let i = 0; i < compiled.length; i++) {
    const rule = compiled[i]!;
    if (!rule.test(input)) continue;
    matched.push(i);
    if (rule.action === "drop")
      return { queues: [], dropped: true, defaulted: false, matched, routedBy: [], droppedBy: i };
    if (rule.action === "route") {
      routedBy.push(i);
      for (const queue of rule.queues) if (!queues.includes(queue)) queues.push(queue);
    }
    if (rule.stops) break;
  }
  if (queues.length === 0)
    return { queues: [defaultQueue], dropped: false, defaulted: true, matched, routedBy, droppedBy: null };
  return { queues, dropped: false, defaulted: false, matched, routedBy, droppedBy: null };
}

/** Whether one condition holds for an input (tests and documentation examples; ingest uses `decide`). */
export function matches(condition: Condition, input: RuleInput): boolean {
  return compileCondition(condition)(input);
}

function compileCondition(condition: Condition): Test {
  if (condition.all) {
    const tests = condition.all.map(compileCondition);
    return (input) => {
      for (const test of tests) if (!test(input)) return false;
      return true;
    };
  }
  if (condition.any) {
    const tests = condition.any.map(compileCondition);
    return (input) => {
      for (const test of tests) if (test(input)) return true;
      return false;
    };
  }
  if (condition.not) {
    const test = compileCondition(condition.not);
    return (input) => !test(input);
  }
  if (condition.event !== undefined) return compileEvent(condition.event);
  const operator = compileOperator(condition);
  if (condition.header !== undefined) {
    const name = condition.header;
    return (input) => operator(Object.hasOwn(input.headers, name) ? input.headers[name] : MISSING);
  }
  const segments = pathSegments(condition.path!);
  return (input) => operator(resolve(input.data, segments));
}

/** Exact names through a Set, globs one by one. */
function compileEvent(event: string | string[]): Test {
  const patterns = typeof event === "string" ? [event] : event;
  const exact = new Set(patterns.filter((p) => !hasStar(p)));
  const globs = patterns.filter(hasStar).map(compileGlob);
  return ({ event: name }) => {
    if (name === null) return false;
    if (exact.has(name)) return true;
    for (const glob of globs) if (globMatches(glob, name)) return true;
    return false;
  };
}

function compileOperator(condition: Condition): (value: Found) => boolean {
  if (condition.exists !== undefined) {
    const wanted = condition.exists;
    return (value) => (value !== MISSING) === wanted;
  }
  if (condition.equals !== undefined) {
    const wanted = condition.equals;
    return (value) => value === wanted;
  }
  if (condition.one_of !== undefined) {
    const wanted = new Set<Scalar>(condition.one_of);
    return (value) => wanted.has(value as Scalar);
  }
  const prefix = condition.prefix!;
  return (value) => typeof value === "string" && value.startsWith(prefix);
}

/** `"a.0.b"` → ["a", "0", "b"]; a list as is. */
export function pathSegments(path: PayloadPath): (string | number)[] {
  return typeof path === "string" ? path.split(".") : path;
}

/** The value at a path: own keys of objects, indexes of arrays (a number, or a string of digits). */
function resolve(data: unknown, segments: readonly (string | number)[]): Found {
  let current: unknown = data;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = typeof segment === "number" ? segment : arrayIndex(segment);
      if (index === undefined || index >= current.length) return MISSING;
      current = current[index];
    } else if (typeof current === "object" && current !== null) {
      const key = String(segment);
      if (!Object.hasOwn(current, key)) return MISSING;
      current = (current as Record<string, unknown>)[key];
    } else {
      return MISSING;
    }
  }
  return current;
}

function arrayIndex(segment: string): number | undefined {
  if (segment.length === 0 || segment.length > 9) return undefined;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (segment.length > 1 && segment.charCodeAt(0) === 48) return undefined;
  return Number(segment);
}
