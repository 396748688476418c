import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { AzureNameKind, checkAzureName } from './azure-names';
import { ConfigurationError } from './configuration-error';
import { ValueRule } from './value-rules';

/**
 * Validation of construct props as early as the value is known: in the constructor, so nothing is
 * written when it fails. Unresolved tokens are skipped: their value only exists at apply time.
 */
export function validateAzureName(scope: IConstruct, field: string, kind: AzureNameKind, value: string): void {
  if (Token.isUnresolved(value)) return;
  const problem = checkAzureName(kind, value);
  if (problem) throw new ConfigurationError({ source: scope.node.path, field, value, ...problem });
}

export function validateRequired(scope: IConstruct, field: string, value: string | undefined, fix: string): void {
  if (value === undefined || (!Token.isUnresolved(value) && value.trim() === '')) {
    throw new ConfigurationError({ source: scope.node.path, field, value, rule: 'is required', fix });
  }
}

export function validateValue<T extends string | number>(scope: IConstruct, field: string, value: T, rule: ValueRule<T>): void {
  if (Token.isUnresolved(value)) return;
  if (!rule.test(value)) throw new ConfigurationError({ source: scope.node.path, field, value, rule: rule.rule, fix: rule.fix });
}
