/**
 * The dependency graph Terraform builds from a synthesized stack: an edge wherever one block refers to
 * another in a `${...}` expression or names it in `depends_on`. Read from cdk.tf.json, so it shows what
 * Terraform will do, not what the constructs meant to do.
 */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, unknown>>;
  readonly data?: Record<string, Record<string, unknown>>;
  readonly output?: Record<string, unknown>;
}

export interface DependencyGraph {
  /** Resource and data source addresses: "azurerm_key_vault.KeyVault", "data.azurerm_client_config.Azure_Client". */
  readonly addresses: readonly string[];
  /** address → the addresses it depends on directly. */
  readonly dependsOn: ReadonlyMap<string, ReadonlySet<string>>;
}

// A reference inside an expression: optional "data.", a type, a name (cdktf names may hold "-").
const REFERENCE = /\b(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)/g;

export function buildDependencyGraph(stack: TerraformJson): DependencyGraph {
  const blocks = new Map<string, unknown>();
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) blocks.set(`${type}.${name}`, body);
  }
  for (const [type, byName] of Object.entries(stack.data ?? {})) {
    for (const [name, body] of Object.entries(byName)) blocks.set(`data.${type}.${name}`, body);
  }

  const dependsOn = new Map<string, Set<string>>();
  for (const [address, body] of blocks) {
    const targets = new Set<string>();
    collectStrings(body, (text) => {
      for (const m of text.matchAll(REFERENCE)) {
        const target = `${m[1] ?? ''}${m[2]}.${m[3]}`;
        if (target !== address && blocks.has(target)) targets.add(target);
      }
    });
    dependsOn.set(address, targets);
  }
  return { addresses: [...blocks.keys()], dependsOn };
}

/** Everything `address` waits for, directly or through others. */
export function transitiveDependencies(graph: DependencyGraph, address: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.dependsOn.get(address) ?? [])];
  while (stack.length) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.dependsOn.get(next) ?? []));
  }
  return seen;
}

function collectStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, visit));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (key !== '//') collectStrings(v, visit);
  }
}
