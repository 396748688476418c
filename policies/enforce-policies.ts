import type { EnvironmentStack } from '../constructs/environment-stack';
import { checkPolicies, describeFinding } from './check-policies';

/** Raised when a stack breaks an error-level rule; its message is one line per finding. */
export class PolicyViolations extends Error {
  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'PolicyViolations';
  }
}

/**
 * Checks one stack's Terraform JSON against every rule with the environment's suppressions. Throws
 * on unsuppressed errors; returns the lines to print for warnings and suppressed findings.
 */
export function enforcePolicies(stack: EnvironmentStack): string[] {
  const findings = checkPolicies(stack.toTerraform(), stack.config.policySuppressions);
  const prefix = `environments/${stack.config.name}.ts: `;
  const errors = findings.filter((f) => f.rule.level === 'error' && !f.suppressedBecause);
  if (errors.length) throw new PolicyViolations(errors.map((f) => prefix + describeFinding(f)));
  return findings.map((f) => prefix + describeFinding(f));
}
