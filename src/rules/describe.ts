/**
 * A source's rules in words, for its operation in /openapi.json: a sender (or whoever wires one
 * up) reads where each event will go without opening the configuration.
 *   "Rules, in order: 1. event is push → builds. 2. event is one of issues, pull_request →
 *    webhooks. 3. event is ping → dropped (answered 2xx, never enqueued). Otherwise → webhooks."
 */
import { actionOf, pathSegments } from "./match";
import type { Condition, Rule } from "./schema";

export function describeRules(rules: readonly Rule[], defaultQueue: string): string {
  if (rules.length === 0) return "";
  const steps = rules.map(
    (rule, i) =>
      `${i + 1}. ${rule.name ? `(${rule.name}) ` : ""}${rule.match ? describeCondition(rule.match) : "any event"} → ${describeAction(rule)}.`,
  );
  return `Rules, in order (each event goes where the first stopping rule says; "and continue" rules add queues or only count): ${steps.join(" ")} Otherwise → ${defaultQueue}.`;
}

function describeAction(rule: Rule): string {
  switch (actionOf(rule)) {
    case "drop":
      return "dropped (answered 2xx, never enqueued)";
    case "continue":
      return "counted, and continue";
    case "route":
      return `${rule.route!.join(" + ")}${rule.continue ? ", and continue" : ""}`;
  }
}

export function describeCondition(condition: Condition): string {
  if (condition.all) return `(${condition.all.map(describeCondition).join(" and ")})`;
  if (condition.any) return `(${condition.any.map(describeCondition).join(" or ")})`;
  if (condition.not) return `not ${describeCondition(condition.not)}`;
  if (condition.event !== undefined) {
    const names = typeof condition.event === "string" ? [condition.event] : condition.event;
    const glob = names.some((n) => n.includes("*"));
    return names.length === 1
      ? `event ${glob ? "matches" : "is"} ${names[0]}`
      : `event ${glob ? "matches one of" : "is one of"} ${names.join(", ")}`;
  }
  const subject =
    condition.header !== undefined
      ? `header ${condition.header}`
      : `payload ${pathSegments(condition.path!).join(".")}`;
  if (condition.exists !== undefined) return `${subject} ${condition.exists ? "exists" : "is absent"}`;
  if (condition.equals !== undefined) return `${subject} = ${JSON.stringify(condition.equals)}`;
  if (condition.one_of !== undefined)
    return `${subject} is one of ${condition.one_of.map((v) => JSON.stringify(v)).join(", ")}`;
  return `${subject} starts with ${JSON.stringify(condition.prefix)}`;
}
