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
}

export interface StackJson {
  readonly resource?: Record<string, Record<string, any>>;
  readonly variable?: Record<string, { sensitive?: boolean }>;
}

/** The one variable a whole expression names, e.g. "${var.x}" → "x". */
export function soleVariable(expression: unknown): string | undefined {
  return typeof expression === 'string' ? /^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$/.exec(expression)?.[1] : undefined;
}
