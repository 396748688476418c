/**
 * A security rule checked on every synthesized stack before its output replaces cdktf.out/, in the manner of
 * cdk-nag: an id, one sentence, and a small function that says whether one block complies.
 * Rules read the Terraform JSON, so they judge what will be applied, whichever construct wrote it.
 */
export interface PolicyRule {
  /** Stable id, used in suppressions: "AKV2". */
  readonly id: string;
  /** What the rule demands, in one sentence. */
  readonly description: string;
  /** An error stops synth; a warning is printed. */
  readonly level: 'error' | 'warning';
  /** The Terraform resource type it looks at. */
  readonly resourceType: string;
  /** True when the block complies. */
  readonly isCompliant: (block: Readonly<Record<string, any>>, stack: StackJson) => boolean;
  /** How to comply. */
  readonly fix: string;
  /** What in this block breaks the rule, when the description alone does not say: "API \"orders\"". */
  readonly detail?: (block: Readonly<Record<string, any>>, stack: StackJson) => string;
}

export interface StackJson {
  readonly resource?: Record<string, Record<string, any>>;
  readonly data?: Record<string, Record<string, any>>;
  readonly variable?: Record<string, { sensitive?: boolean }>;
}

/**
 * The resource a whole-expression reference names, when it is of the given type:
 * "${azurerm_key_vault.KeyVault.id}" with type "azurerm_key_vault" → that block. Undefined for a data
 * source, a literal, or another type.
 */
export function referencedResource(stack: StackJson, expression: unknown, type: string): Readonly<Record<string, any>> | undefined {
  if (typeof expression !== 'string') return undefined;
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_]+\}$/.exec(expression);
  return match && match[1] === type ? stack.resource?.[type]?.[match[2]] : undefined;
}

/** The one variable a whole expression names, e.g. "${var.x}" → "x". */
export function soleVariable(expression: unknown): string | undefined {
  return typeof expression === 'string' ? /^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$/.exec(expression)?.[1] : undefined;
}

/**
 * The vault of this stack an APIM certificate reads from, following key_vault_secret_id to the Key Vault
 * certificate and its key_vault_id. Undefined when either is not a resource of the stack (a data source).
 */
export function vaultOfApimCertificate(stack: StackJson, certificate: Readonly<Record<string, any>>): Readonly<Record<string, any>> | undefined {
  const kvCertificate = referencedResource(stack, certificate.key_vault_secret_id, 'azurerm_key_vault_certificate');
  return kvCertificate && referencedResource(stack, kvCertificate.key_vault_id, 'azurerm_key_vault');
}
