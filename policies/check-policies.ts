import { POLICY_RULES } from './index';
import { PolicyRule, StackJson } from './policy-rule';

/** A rule set aside for one block (or every block) of a stack, always with the reason why. */
export interface PolicySuppression {
  /** The rule id: "AKV3". */
  readonly rule: string;
  /** A Terraform address ("azurerm_key_vault.KeyVault"); @default - every block the rule looks at */
  readonly address?: string;
  /** Why breaking the rule is right here; shown whenever the rule would have fired. */
  readonly reason: string;
}

export interface PolicyFinding {
  readonly rule: PolicyRule;
  readonly address: string;
  /** Set when a suppression covered it. */
  readonly suppressedBecause?: string;
  /** The rule's detail for this block, when it has one. */
  readonly detail?: string;
}

/** Every rule against every block of its type. */
export function checkPolicies(stack: StackJson, suppressions: readonly PolicySuppression[] = [], rules = POLICY_RULES): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const rule of rules) {
    for (const [name, block] of Object.entries(stack.resource?.[rule.resourceType] ?? {})) {
      if (rule.isCompliant(block, stack)) continue;
      const address = `${rule.resourceType}.${name}`;
      const suppression = suppressions.find((s) => s.rule === rule.id && (s.address === undefined || s.address === address));
      findings.push({ rule, address, suppressedBecause: suppression?.reason, detail: rule.detail?.(block, stack) });
    }
  }
  return findings;
}

/** "AKV3 (warning) azurerm_key_vault.KeyVault: <description> Fix: <fix>" */
export function describeFinding(f: PolicyFinding): string {
  const suppressed = f.suppressedBecause ? ` Suppressed: ${f.suppressedBecause}` : ` Fix: ${f.rule.fix}, or suppress ${f.rule.id} with a reason in policySuppressions.`;
  const detail = f.detail ? ` Here ${f.detail}.` : '';
  return `${f.rule.id} (${f.suppressedBecause ? 'suppressed' : f.rule.level}) ${f.address}: ${f.rule.description}${detail}${suppressed}`;
}
