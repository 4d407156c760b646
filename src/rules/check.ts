/**
 * Cross-checks of a source's rules against the rest of the configuration, run when it loads (so a
 * typo fails the deployment, code 15001, instead of silently routing nowhere): every queue a rule
 * routes to exists, every header a rule reads is one the source's envelopes carry, and only
 * webhook sources have rules (Segment's tracking API sends each write key's events to its source's
 * queue; rules do not apply there yet).
 */

import type { WriteKeyAuth } from "../auth/write-keys";
import { type HeaderSource, headerAllowlist } from "../providers/headers";
import type { SourceAuth } from "../providers/index";
import type { Condition, Rule } from "./schema";

export interface RuleIssue {
  path: (string | number)[];
  message: string;
}

/** What the checks read of a source's configuration (src/config/source-schema.ts). */
export interface RuledSource {
  auth: SourceAuth | WriteKeyAuth;
  headers: readonly string[];
  rules: readonly Rule[];
}

export function ruleIssues(source: RuledSource, queueExists: (name: string) => boolean): RuleIssue[] {
  if (source.rules.length === 0) return [];
  // Write-key sources speak Segment's protocol, which names no event to route by.
  if (source.auth.kind === "write_key")
    return [{ path: ["rules"], message: "does not apply to a write_key source (its events go to the source's queue)" }];
  const issues: RuleIssue[] = [];
  const forwarded = new Set(headerAllowlist(source as HeaderSource));
  for (const [i, rule] of source.rules.entries()) {
    for (const queue of rule.route ?? []) {
      if (!queueExists(queue)) issues.push({ path: ["rules", i, "route"], message: `no queue named "${queue}"` });
    }
    if (rule.match) checkHeaders(rule.match, ["rules", i, "match"], forwarded, issues);
  }
  return issues;
}

function checkHeaders(
  condition: Condition,
  path: (string | number)[],
  forwarded: ReadonlySet<string>,
  issues: RuleIssue[],
): void {
  if (condition.header !== undefined && !forwarded.has(condition.header)) {
    issues.push({
      path: [...path, "header"],
      message: `"${condition.header}" is not a header this source forwards (add it to the source's headers)`,
    });
  }
  for (const list of ["all", "any"] as const) {
    for (const [i, c] of (condition[list] ?? []).entries()) checkHeaders(c, [...path, list, i], forwarded, issues);
  }
  if (condition.not) checkHeaders(condition.not, [...path, "not"], forwarded, issues);
}
