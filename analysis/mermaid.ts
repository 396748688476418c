/**
 * A stack's dependency graph as a Mermaid flowchart: one node per resource and data source, one arrow
 * per dependency, pointing from what is created first to what waits for it.
 */
import { buildDependencyGraph, DependencyGraph, TerraformJson } from './dependency-graph';
import { assignedRole, blockAt } from './stack-blocks';

export interface MermaidOptions {
  /** Addresses drawn with a heavy red outline: the critical path, typically. */
  readonly highlight?: readonly string[];
  /** @default "LR" (left to right: the chains here are long and narrow) */
  readonly direction?: 'LR' | 'TB';
}

/**
 * Short node ids, so the flowchart's source stays readable: the logical name ("KeyVault",
 * "Certificate_mtls_backend_ApiPolicy"; Mermaid ids allow no "." or "-"), or the whole address where two
 * blocks share a name.
 */
export function mermaidNodeIds(addresses: readonly string[]): Map<string, string> {
  const sanitize = (text: string) => text.replace(/[^A-Za-z0-9_]/g, '_');
  const nameOf = (address: string) => address.slice(address.indexOf('.', address.startsWith('data.') ? 5 : 0) + 1);
  const nameCounts = new Map<string, number>();
  for (const a of addresses) nameCounts.set(sanitize(nameOf(a)), (nameCounts.get(sanitize(nameOf(a))) ?? 0) + 1);
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const address of addresses) {
    const short = sanitize(nameOf(address));
    // "end" and friends are Mermaid keywords; construct ids are PascalCase, but a hand-written stack need not be.
    const base = nameCounts.get(short) === 1 && !/^(end|graph|subgraph|flowchart|class|classDef|click|style|linkStyle)$/i.test(short) ? short : sanitize(address);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    ids.set(address, id);
  }
  return ids;
}

export function toMermaidFlowchart(stack: TerraformJson, options: MermaidOptions = {}, graph: DependencyGraph = buildDependencyGraph(stack)): string {
  const ids = mermaidNodeIds(graph.addresses);
  const lines = [`flowchart ${options.direction ?? 'LR'}`];
  for (const address of graph.addresses) {
    const block = blockAt(stack, address);
    // A role assignment's address says whom it is for; the role is what a reviewer needs to see.
    const role = assignedRole(block);
    const label = role ? `${address}<br/>${role.name}` : address;
    const text = label.replace(/"/g, '#quot;');
    lines.push(block.kind === 'data' ? `  ${ids.get(address)}(["${text}"])` : `  ${ids.get(address)}["${text}"]`);
  }
  for (const address of graph.addresses) {
    for (const dependency of graph.dependsOn.get(address) ?? []) lines.push(`  ${ids.get(dependency)} --> ${ids.get(address)}`);
  }
  const highlighted = (options.highlight ?? []).filter((a) => ids.has(a));
  if (highlighted.length) {
    lines.push('  classDef critical stroke:#d00,stroke-width:3px');
    lines.push(`  class ${highlighted.map((a) => ids.get(a)).join(',')} critical`);
  }
  return lines.join('\n');
}
