/**
 * What waits for a new API Management instance without needing it. Creating a classic-tier instance
 * takes 30 minutes or more; anything that waits for it needlessly (above all the Key Vault import path)
 * turns minutes of parallel work into a serial wait behind it.
 */
import { BuiltInRoles } from '../constructs/role-definitions';
import { buildDependencyGraph, DependencyGraph, TerraformJson, transitiveDependencies } from './dependency-graph';
import { assignedRole, blocksOf, StackBlock, stringAttribute } from './stack-blocks';

export interface NeedlessApimWait {
  readonly address: string;
  /** The API Management instance (resource address) it waits for. */
  readonly apiManagement: string;
  /** A shortest chain of dependencies from `address` to `apiManagement`, both included. */
  readonly via: readonly string[];
  /** On the Key Vault import path: the vault and its objects, the deployers' access, the wait after it. */
  readonly keyVaultSide: boolean;
}

const APIM_INSTANCE_TYPE = 'azurerm_api_management';

/**
 * Every block that waits, directly or through others, for the creation of an `azurerm_api_management`
 * resource although it is not APIM-side. APIM-side blocks need the instance by their nature:
 * - azurerm_api_management_* (certificates, backends, policies live inside the instance);
 * - role assignments to the instance's own identity (principal_id refers to it: it exists only then);
 * - time_sleeps after any of those.
 * Sorted by address; empty for a stack that creates no APIM instance.
 */
export function needlessApimWaits(stack: TerraformJson, graph: DependencyGraph = buildDependencyGraph(stack)): NeedlessApimWait[] {
  const blocks = blocksOf(stack, graph.addresses);
  const instances = graph.addresses.filter((a) => blocks.get(a)?.kind === 'resource' && blocks.get(a)?.type === APIM_INSTANCE_TYPE);
  if (!instances.length) return [];

  const referencesInstance = (text: string | undefined) => !!text && instances.some((i) => text.includes(`${i}.`));
  const apimSide = closeOverSleeps(graph, blocks, (b) => b.type.startsWith(APIM_INSTANCE_TYPE) || (b.type === 'azurerm_role_assignment' && referencesInstance(stringAttribute(b, 'principal_id'))));
  const keyVaultSide = closeOverSleeps(graph, blocks, (b) => b.type.startsWith('azurerm_key_vault') || assignedRole(b) === BuiltInRoles.keyVaultCertificatesOfficer);

  const waits: NeedlessApimWait[] = [];
  for (const address of [...graph.addresses].sort()) {
    if (apimSide.has(address)) continue;
    const waitsFor = transitiveDependencies(graph, address);
    for (const instance of instances.filter((i) => waitsFor.has(i))) {
      waits.push({ address, apiManagement: instance, via: shortestChain(graph, address, instance), keyVaultSide: keyVaultSide.has(address) });
    }
  }
  return waits;
}

/** The blocks `isMember` accepts, plus every time_sleep that depends on one of them (transitively). */
function closeOverSleeps(graph: DependencyGraph, blocks: ReadonlyMap<string, StackBlock>, isMember: (b: StackBlock) => boolean): Set<string> {
  const members = new Set(graph.addresses.filter((a) => isMember(blocks.get(a) as StackBlock)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const address of graph.addresses) {
      if (members.has(address) || blocks.get(address)?.type !== 'time_sleep') continue;
      if ([...(graph.dependsOn.get(address) ?? [])].some((d) => members.has(d))) {
        members.add(address);
        grew = true;
      }
    }
  }
  return members;
}

/** Breadth-first along dependencies, so the chain printed is the shortest explanation. */
function shortestChain(graph: DependencyGraph, from: string, to: string): string[] {
  const cameFrom = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift() as string;
    if (at === to) break;
    for (const next of [...(graph.dependsOn.get(at) ?? [])].sort()) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, at);
        queue.push(next);
      }
    }
  }
  const chain: string[] = [];
  for (let at: string | undefined = to; at !== undefined; at = cameFrom.get(at)) chain.unshift(at);
  return chain;
}
