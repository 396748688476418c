import { checkPolicies, describeFinding, type PolicySuppression } from './check-policies';
import type { StackJson } from './policy-rule';

/** Raised when a stack breaks an error-level rule; its message is one line per finding. */
export class PolicyViolations extends Error {
  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'PolicyViolations';
  }
}

/**
 * Checks one stack's synthesized Terraform JSON against every rule with its suppressions; `source` (the
 * environment file the stack came from) starts every line. Throws on unsuppressed errors; returns the
 * lines to print for warnings and suppressed findings.
 */
export function enforcePolicies(source: string, stack: StackJson, suppressions: readonly PolicySuppression[] = []): string[] {
  const findings = checkPolicies(stack, suppressions);
  const prefix = `${source}: `;
  const errors = findings.filter((f) => f.rule.level === 'error' && !f.suppressedBecause);
  if (errors.length) throw new PolicyViolations(errors.map((f) => prefix + describeFinding(f)));
  return findings.map((f) => prefix + describeFinding(f));
}
