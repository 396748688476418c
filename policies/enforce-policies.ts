import type { EnvironmentConfig } from '../config/environment-config';
import { checkPolicies, describeFinding } from './check-policies';
import type { StackJson } from './policy-rule';

/** Raised when a stack breaks an error-level rule; its message is one line per finding. */
export class PolicyViolations extends Error {
  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'PolicyViolations';
  }
}

/**
 * Checks one environment's synthesized Terraform JSON against every rule with its suppressions.
 * Throws on unsuppressed errors; returns the lines to print for warnings and suppressed findings.
 */
export function enforcePolicies(config: EnvironmentConfig, stack: StackJson): string[] {
  const findings = checkPolicies(stack, config.policySuppressions);
  const prefix = `environments/${config.name}.ts: `;
  const errors = findings.filter((f) => f.rule.level === 'error' && !f.suppressedBecause);
  if (errors.length) throw new PolicyViolations(errors.map((f) => prefix + describeFinding(f)));
  return findings.map((f) => prefix + describeFinding(f));
}
