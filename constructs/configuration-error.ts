import { printable } from '../text/printable';

/**
 * A mistake in an environment file or in construct props, reported as one line that names where it is,
 * the field, the value, the rule it breaks and how to fix it:
 *
 *   environments/dev.ts: keyVault.name = "kv--app": must not contain two consecutive hyphens. Fix: remove one of the hyphens.
 */
export class ConfigurationError extends Error {
  /** Where the mistake is: an environment file, or a construct path for props given in code. */
  public readonly source: string;
  public readonly field: string;
  public readonly value: unknown;
  public readonly rule: string;
  public readonly fix: string;

  constructor(problem: { source: string; field: string; value: unknown; rule: string; fix: string }) {
    super(`${problem.source}: ${problem.field} = ${describeValue(problem.value)}: ${problem.rule}. Fix: ${problem.fix}`);
    this.name = 'ConfigurationError';
    this.source = problem.source;
    this.field = problem.field;
    this.value = problem.value;
    this.rule = problem.rule;
    this.fix = problem.fix;
  }
}

/** Several problems found at once, so a user fixes them in one pass instead of one synth per mistake. */
export class ConfigurationErrors extends Error {
  constructor(public readonly problems: readonly ConfigurationError[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'ConfigurationErrors';
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return '(not set)';
  return printable(JSON.stringify(value) ?? String(value));
}
