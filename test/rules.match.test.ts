/**
 * Source rules as pure decisions (src/rules/match.ts): every match kind (event names and globs,
 * envelope headers, payload paths, all/any/not) and every action (route, route + continue, drop,
 * continue, the default queue); globs checked against an independent regular-expression oracle;
 * and fast-check properties: an event reaches exactly the queues its first matching route names,
 * and an event a drop rule stops never reaches a queue, whatever came before.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGlob, globMatches } from "../src/rules/glob";
import { decide, matches, type RuleInput } from "../src/rules/match";
import { Condition, type Rule, type RuleInput as RuleDeclaration, Rules } from "../src/rules/schema";

const input = (over: Partial<RuleInput> = {}): RuleInput => ({ event: null, headers: {}, data: {}, ...over });
const holds = (condition: unknown, over: Partial<RuleInput> = {}) => matches(Condition.parse(condition), input(over));
const rules = (list: RuleDeclaration[]): Rule[] => Rules.parse(list);
const route = (list: RuleDeclaration[], over: Partial<RuleInput> = {}) =>
  decide(rules(list), input(over), "default").queues;

describe("rule matches", () => {
  it("event: an exact name, any of a list, or a * glob; nothing else is special; no event matches nothing", () => {
    expect(holds({ event: "push" }, { event: "push" })).toBe(true);
    expect(holds({ event: "push" }, { event: "pushed" })).toBe(false);
    expect(holds({ event: ["issues", "pull_request"] }, { event: "pull_request" })).toBe(true);
    expect(holds({ event: "invoice.*" }, { event: "invoice.paid" })).toBe(true);
    expect(holds({ event: "invoice.*" }, { event: "invoice." })).toBe(true);
    expect(holds({ event: "invoice.*" }, { event: "invoices.paid" })).toBe(false);
    expect(holds({ event: "*.paid" }, { event: "invoice.payment.paid" })).toBe(true);
    expect(holds({ event: "a?c" }, { event: "abc" })).toBe(false);
    expect(holds({ event: "a.c" }, { event: "abc" })).toBe(false);
    expect(holds({ event: "[ab]" }, { event: "a" })).toBe(false);
    expect(holds({ event: "*" }, { event: "" })).toBe(true);
    expect(holds({ event: "*" }, { event: null })).toBe(false);
  });

  it("header: equals, one_of, exists and prefix on the headers the envelope carries", () => {
    const headers = { "x-tenant": "test-42" };
    expect(holds({ header: "x-tenant", equals: "test-42" }, { headers })).toBe(true);
    expect(holds({ header: "X-Tenant", equals: "TEST-42" }, { headers })).toBe(false); // names fold to lowercase, values do not
    expect(holds({ header: "x-tenant", one_of: ["a", "test-42"] }, { headers })).toBe(true);
    expect(holds({ header: "x-tenant", exists: true }, { headers })).toBe(true);
    expect(holds({ header: "x-other", exists: false }, { headers })).toBe(true);
    expect(holds({ header: "x-tenant", prefix: "test-" }, { headers })).toBe(true);
    expect(holds({ header: "x-other", prefix: "t" }, { headers })).toBe(false);
  });

  it("path: equals is strict (types differ, objects never equal), one_of, exists (null exists), prefix on strings only", () => {
    const data = {
      n: 1,
      s: "1",
      z: null,
      o: { a: 1 },
      ref: "refs/heads/main",
      list: [{ sku: "SKU-1" }],
      "a.b": { c: true },
    };
    expect(holds({ path: "n", equals: 1 }, { data })).toBe(true);
    expect(holds({ path: "s", equals: 1 }, { data })).toBe(false);
    expect(holds({ path: "z", equals: null }, { data })).toBe(true);
    expect(holds({ path: "missing", equals: null }, { data })).toBe(false);
    expect(holds({ path: "o", equals: "[object Object]" }, { data })).toBe(false);
    expect(holds({ path: "n", one_of: ["1", 1] }, { data })).toBe(true);
    expect(holds({ path: "s", one_of: [1, 2] }, { data })).toBe(false);
    expect(holds({ path: "z", exists: true }, { data })).toBe(true);
    expect(holds({ path: "o.b", exists: false }, { data })).toBe(true);
    expect(holds({ path: "ref", prefix: "refs/heads/" }, { data })).toBe(true);
    expect(holds({ path: "n", prefix: "1" }, { data })).toBe(false);
    expect(holds({ path: "list.0.sku", prefix: "SKU-" }, { data })).toBe(true);
    expect(holds({ path: ["list", 0, "sku"], equals: "SKU-1" }, { data })).toBe(true);
    expect(holds({ path: "list.1.sku", exists: true }, { data })).toBe(false);
    expect(holds({ path: "list.01.sku", exists: true }, { data })).toBe(false);
    expect(holds({ path: ["a.b", "c"], equals: true }, { data })).toBe(true);
    expect(holds({ path: "a.b.c", exists: true }, { data })).toBe(false);
  });

  it("path: only own keys, never inherited ones; text payloads have no paths", () => {
    expect(holds({ path: "toString", exists: true }, { data: {} })).toBe(false);
    expect(holds({ path: "__proto__", exists: true }, { data: JSON.parse('{"__proto__":{"x":1}}') })).toBe(true);
    expect(holds({ path: "constructor.name", exists: true }, { data: {} })).toBe(false);
    expect(holds({ path: "length", exists: true }, { data: "some text" })).toBe(false);
    expect(holds({ path: "length", exists: true }, { data: [1] })).toBe(false);
  });

  it("all, any and not combine conditions", () => {
    const over = { event: "customer.created", data: { livemode: true } };
    expect(holds({ all: [{ event: "customer.*" }, { path: "livemode", equals: true }] }, over)).toBe(true);
    expect(holds({ all: [{ event: "customer.*" }, { path: "livemode", equals: false }] }, over)).toBe(false);
    expect(holds({ any: [{ event: "invoice.*" }, { path: "livemode", equals: true }] }, over)).toBe(true);
    expect(holds({ not: { event: "customer.*" } }, over)).toBe(false);
    expect(
      holds(
        {
          all: [{ not: { path: "livemode", exists: false } }, { any: [{ event: "x" }, { event: "customer.created" }] }],
        },
        over,
      ),
    ).toBe(true);
  });
});

describe("rule actions", () => {
  const audit: RuleDeclaration = { match: { path: "audit", equals: true }, route: "audit", continue: true };
  const invoices: RuleDeclaration = { match: { event: "invoice.*" }, route: ["billing"] };
  const pings: RuleDeclaration = { match: { event: "ping" }, drop: true };

  it("route stops at the first matching rule; later matches do not add queues", () => {
    expect(route([invoices, { match: { event: "*" }, route: "later" }], { event: "invoice.paid" })).toEqual([
      "billing",
    ]);
  });

  it("route with continue adds its queues and keeps evaluating; queues are listed once, in rule order", () => {
    expect(route([audit, invoices], { event: "invoice.paid", data: { audit: true } })).toEqual(["audit", "billing"]);
    expect(
      route([audit, { match: { event: "*" }, route: ["billing", "audit"] }], { event: "x", data: { audit: true } }),
    ).toEqual(["audit", "billing"]);
  });

  it("an event only continue-routes reach goes there, not to the default queue", () => {
    expect(route([audit, invoices], { event: "customer.created", data: { audit: true } })).toEqual(["audit"]);
  });

  it("drop stops, and the event goes nowhere, whatever earlier rules added", () => {
    const decision = decide(
      rules([audit, pings, invoices]),
      input({ event: "ping", data: { audit: true } }),
      "default",
    );
    expect(decision).toEqual({
      queues: [],
      dropped: true,
      defaulted: false,
      matched: [0, 1],
      routedBy: [],
      droppedBy: 1,
    });
  });

  it("continue only counts; with no routing rule matching, the source's queue is the default", () => {
    const decision = decide(
      rules([{ match: { event: "customer.*" }, continue: true }, invoices]),
      input({ event: "customer.created" }),
      "default",
    );
    expect(decision).toEqual({
      queues: ["default"],
      dropped: false,
      defaulted: true,
      matched: [0],
      routedBy: [],
      droppedBy: null,
    });
  });

  it("a rule without a match applies to every event that reaches it", () => {
    expect(route([invoices, { route: "rest" }], { event: "anything" })).toEqual(["rest"]);
    expect(route([invoices, { drop: true }], { event: null })).toEqual([]);
  });
});

/** An independent oracle: the glob as an anchored regular expression (fine here: tests only). */
const oracle = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("[\\s\\S]*")}$`,
  );
const small = (chars: string, maxLength: number) => fc.string({ unit: fc.constantFrom(...chars.split("")), maxLength });

describe("globs", () => {
  it("agree with the regular-expression reading of `*` for any pattern and name", () => {
    fc.assert(
      fc.property(small("ab.*?[", 12), small("ab.*?[", 16), (pattern, name) => {
        expect(globMatches(compileGlob(pattern), name)).toBe(oracle(pattern).test(name));
      }),
      { numRuns: 5_000 },
    );
  });

  it("never backtrack: a pattern that is catastrophic for a backtracking regex fails fast over a 100 KB name", () => {
    const name = "a".repeat(100_000);
    const glob = compileGlob(`${"*a".repeat(50)}*c*`);
    const started = performance.now();
    expect(globMatches(glob, name)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

/** Rules over event globs from a small alphabet, so that matches are common; queues q0..q3. */
const queueName = fc.constantFrom("q0", "q1", "q2", "q3");
const ruleArbitrary = (withContinue: boolean) =>
  fc.record({
    pattern: small("ab*", 4).filter((p) => p.length > 0),
    action: withContinue
      ? fc.constantFrom("route", "route+continue", "drop", "continue")
      : fc.constantFrom("route", "drop"),
    queues: fc.uniqueArray(queueName, { minLength: 1, maxLength: 3 }),
  });
type Generated = { pattern: string; action: string; queues: string[] };
const declare = (g: Generated): RuleDeclaration => {
  const match = { event: g.pattern };
  if (g.action === "drop") return { match, drop: true };
  if (g.action === "continue") return { match, continue: true };
  return { match, route: g.queues, ...(g.action === "route+continue" && { continue: true }) };
};

describe("properties", () => {
  it("without continue, an event reaches exactly the queues its first matching route names (none if a drop comes first; else the default)", () => {
    fc.assert(
      fc.property(fc.array(ruleArbitrary(false), { maxLength: 8 }), small("ab", 5), (generated, event) => {
        const first = generated.find((g) => oracle(g.pattern).test(event));
        const expected = !first ? ["default"] : first.action === "drop" ? [] : first.queues;
        expect(route(generated.map(declare), { event })).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("an event a drop rule stops never reaches a queue, whatever continue rules added before it", () => {
    fc.assert(
      fc.property(fc.array(ruleArbitrary(true), { maxLength: 8 }), small("ab", 5), (generated, event) => {
        const decision = decide(rules(generated.map(declare)), input({ event }), "default");
        // Walk the rules as the documentation says: the first match that stops decides.
        const stopper = generated.find(
          (g) => oracle(g.pattern).test(event) && (g.action === "route" || g.action === "drop"),
        );
        if (stopper?.action === "drop") expect(decision).toMatchObject({ queues: [], dropped: true });
        else expect(decision.queues.length).toBeGreaterThan(0);
        const until = stopper ? generated.indexOf(stopper) + 1 : generated.length;
        const routed = generated
          .slice(0, until)
          .filter((g) => oracle(g.pattern).test(event) && g.action.startsWith("route"));
        if (stopper?.action !== "drop")
          expect(decision.queues).toEqual(routed.length ? [...new Set(routed.flatMap((g) => g.queues))] : ["default"]);
      }),
      { numRuns: 2_000 },
    );
  });
});
