/**
 * How long a first `terraform apply` of a stack takes at the least: the longest chain of dependencies,
 * each block weighted by how long Azure takes to create it. Terraform creates everything else in
 * parallel (10 at a time by default), so this chain, not the number of resources, sets the wall time.
 */
import { buildDependencyGraph, DependencyGraph, TerraformJson } from './dependency-graph';
import { blockAt, StackBlock, stringAttribute } from './stack-blocks';

/** Seconds, lowest and highest. */
export interface DurationRange {
  readonly min: number;
  readonly max: number;
}

interface DurationEstimate {
  /** What the estimate covers, printed beside each step: "resource group", "API Management Developer_1: classic tier …". */
  readonly covers: string | ((block: StackBlock) => string);
  readonly applies: (block: StackBlock) => boolean;
  readonly duration: (block: StackBlock) => DurationRange;
}

const MINUTE = 60;
const seconds = (min: number, max: number) => () => ({ min, max });
const isResource = (type: string) => (b: StackBlock) => b.kind === 'resource' && b.type === type;

/** "Developer_1" → "Developer"; undefined when the SKU is not a literal (a variable, say). */
function apimTier(block: StackBlock): string | undefined {
  const sku = stringAttribute(block, 'sku_name');
  return sku && !sku.includes('${') ? sku.split('_')[0] : undefined;
}
const FAST_APIM_TIERS = new Set(['BasicV2', 'StandardV2', 'PremiumV2', 'Consumption']);

/**
 * The one table of creation times, first match wins. Each entry says where its figure comes from;
 * where Microsoft publishes none, the figure is what azurerm's "Creation complete after …" lines
 * typically show, and says so. Change a figure here and every report and test follows.
 */
export const DURATION_ESTIMATES: readonly DurationEstimate[] = [
  {
    // Microsoft Learn, the API Management quickstarts (portal, Azure CLI, PowerShell, Terraform;
    // learn.microsoft.com/azure/api-management/get-started-create-service-instance): "It can take 30 to
    // 40 minutes to create and activate an API Management service in this tier" (Developer).
    // Basic, Standard and Premium are provisioned the same way; 45 minutes leaves room for the "can".
    // A SKU that is not a literal is taken as classic: the slow case is the one to plan for.
    covers: (b) =>
      apimTier(b) === undefined
        ? 'API Management, SKU not known at synth time: taken as a classic tier'
        : `API Management ${stringAttribute(b, 'sku_name')}: classic tier (Developer, Basic, Standard, Premium)`,
    applies: (b) => isResource('azurerm_api_management')(b) && !FAST_APIM_TIERS.has(apimTier(b) ?? ''),
    duration: seconds(30 * MINUTE, 45 * MINUTE),
  },
  {
    // Microsoft Learn, "Azure API Management v2 tiers" (learn.microsoft.com/azure/api-management/
    // v2-service-tiers-overview): "Deploy a production-ready API Management instance in minutes". Consumption runs on shared infrastructure; Microsoft gives no figure, and
    // it is created in minutes too.
    covers: (b) => `API Management ${stringAttribute(b, 'sku_name')}: v2 tier or Consumption`,
    applies: isResource('azurerm_api_management'),
    duration: seconds(1 * MINUTE, 5 * MINUTE),
  },
  {
    // Exact: time_sleep waits for its create_duration (Go duration syntax, hashicorp/time docs). A sleep
    // with only a destroy_duration takes no time to create.
    covers: 'time_sleep: its create_duration',
    applies: isResource('time_sleep'),
    duration: (b) => {
      const text = stringAttribute(b, 'create_duration');
      const value = text === undefined ? 0 : parseDuration(text);
      return { min: value, max: value };
    },
  },
  {
    // azurerm apply logs: the provider polls until the new assignment can be read back. The time for
    // it to take effect on the data plane is a separate time_sleep in this project's stacks.
    covers: 'role assignment',
    applies: isResource('azurerm_role_assignment'),
    duration: seconds(15, 30),
  },
  {
    // azurerm apply logs: the vault itself, then the provider waits for its DNS name to resolve.
    covers: 'Key Vault',
    applies: isResource('azurerm_key_vault'),
    duration: seconds(1 * MINUTE, 3 * MINUTE),
  },
  {
    // azurerm apply logs: an import is one data-plane call, then polling until the version is enabled.
    covers: 'Key Vault certificate',
    applies: isResource('azurerm_key_vault_certificate'),
    duration: seconds(10, 30),
  },
  {
    // azurerm apply logs: APIM certificates (APIM fetches the secret from Key Vault), backends and
    // policies are management-plane writes on an instance that exists; classic tiers are the slow end.
    covers: 'API Management certificate, backend, policy',
    applies: (b) => b.kind === 'resource' && b.type.startsWith('azurerm_api_management_'),
    duration: seconds(10, 60),
  },
  {
    // azurerm apply logs: a resource group is one ARM call.
    covers: 'resource group',
    applies: isResource('azurerm_resource_group'),
    duration: seconds(3, 10),
  },
  {
    // azurerm apply logs: one ARM call, plus the service principal Entra ID creates with it.
    covers: 'user-assigned identity',
    applies: isResource('azurerm_user_assigned_identity'),
    duration: seconds(5, 15),
  },
  {
    // One read. Most are read at plan time; only one that waits on an unknown value is read during apply.
    covers: 'data source (a read)',
    applies: (b) => b.kind === 'data',
    duration: seconds(1, 2),
  },
];

/** For types the table does not know: wide enough not to hide a path, and reported as a guess. */
const UNKNOWN_TYPE: DurationEstimate = {
  covers: 'no estimate for this type: a guess',
  applies: () => true,
  duration: seconds(10, 60),
};

/** The estimate for one block, with what it covers. */
export function estimateDuration(block: StackBlock): DurationRange & { readonly covers: string } {
  const estimate = DURATION_ESTIMATES.find((e) => e.applies(block)) ?? UNKNOWN_TYPE;
  const covers = typeof estimate.covers === 'string' ? estimate.covers : estimate.covers(block);
  return { ...estimate.duration(block), covers };
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const DURATION_TERM = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/gy;

/**
 * A time_sleep duration in seconds: Go's time.ParseDuration syntax without a sign, which is what the
 * provider parses ("120s", "2m", "1h30m", "500ms", "1.5h"; "0" alone is zero).
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  let total = 0;
  let end = 0;
  DURATION_TERM.lastIndex = 0;
  for (let m = DURATION_TERM.exec(text); m; m = DURATION_TERM.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    end = DURATION_TERM.lastIndex;
  }
  if (!text || end !== text.length) {
    throw new Error(`"${text}" is not a time_sleep duration: write a number and a unit (ms, s, m, h), e.g. "120s" or "1h30m"`);
  }
  return total;
}

/** 5400 → "1h30m", 130 → "2m10s", 0.5 → "0.5s": the form parseDuration reads. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds < 1) return `${Number(totalSeconds.toFixed(3))}s`;
  const rounded = Math.round(totalSeconds);
  const h = Math.floor(rounded / 3600);
  const m = Math.floor((rounded % 3600) / 60);
  const s = rounded % 60;
  return [h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join('') || '0s';
}

export interface PathStep extends DurationRange {
  readonly address: string;
  /** Which estimate applied (DURATION_ESTIMATES' `covers`). */
  readonly covers: string;
}

export interface CriticalPath {
  /** From the first block created to the last, each waiting for the one before. */
  readonly steps: readonly PathStep[];
  /** Sum of the steps' lower estimates. */
  readonly totalMin: number;
  /** Sum of the steps' upper estimates. */
  readonly totalMax: number;
}

/**
 * The longest chain of the stack's dependency graph by estimated duration. Chains are compared by their
 * upper estimates (the wait to plan for), then by their lower ones; equal chains by address, so the
 * answer is the same on every run.
 */
export function criticalPath(stack: TerraformJson, graph: DependencyGraph = buildDependencyGraph(stack)): CriticalPath {
  const estimates = new Map(graph.addresses.map((a) => [a, estimateDuration(blockAt(stack, a))]));
  // Longest chain ending at each address (inclusive), and the dependency it came through.
  const longest = new Map<string, { min: number; max: number; previous?: string }>();
  const inProgress = new Set<string>();

  const longer = (a: { min: number; max: number }, aAddress: string, b: { min: number; max: number } | undefined, bAddress: string | undefined) =>
    !b || a.max > b.max || (a.max === b.max && (a.min > b.min || (a.min === b.min && aAddress < (bAddress as string))));

  const visit = (address: string): { min: number; max: number } => {
    const known = longest.get(address);
    if (known) return known;
    if (inProgress.has(address)) throw new Error(`dependency cycle through ${address}: Terraform would refuse this stack`);
    inProgress.add(address);
    let best: { min: number; max: number } | undefined;
    let bestAddress: string | undefined;
    for (const dependency of graph.dependsOn.get(address) ?? []) {
      const chain = visit(dependency);
      if (longer(chain, dependency, best, bestAddress)) [best, bestAddress] = [chain, dependency];
    }
    inProgress.delete(address);
    const own = estimates.get(address) as DurationRange;
    const result = { min: own.min + (best?.min ?? 0), max: own.max + (best?.max ?? 0), previous: bestAddress };
    longest.set(address, result);
    return result;
  };

  let last: string | undefined;
  for (const address of graph.addresses) {
    const chain = visit(address);
    if (longer(chain, address, last === undefined ? undefined : longest.get(last), last)) last = address;
  }

  const steps: PathStep[] = [];
  for (let at = last; at !== undefined; at = longest.get(at)?.previous) {
    const { min, max, covers } = estimates.get(at) as DurationRange & { covers: string };
    steps.unshift({ address: at, min, max, covers });
  }
  const end = last === undefined ? undefined : longest.get(last);
  return { steps, totalMin: end?.min ?? 0, totalMax: end?.max ?? 0 };
}
