import { StepFailure } from './step-failure';

/**
 * What a saved plan changes, read from `terraform show -json <plan>` (Terraform's JSON plan format:
 * resource_changes[], each with an address and change.actions): the lines of the summary page, and the
 * changes this project refuses to apply.
 */
export interface PlannedChange {
  /** "create", "update", "delete", "replace", "read" */
  readonly action: string;
  readonly address: string;
}

type Values = Record<string, any>;

function resourceChanges(plan: unknown): Values[] {
  const changes = (plan as Values | null)?.resource_changes ?? [];
  if (!Array.isArray(changes)) throw new StepFailure('terraform show -json of the saved plan has resource_changes that is not a list: not a plan this step can read');
  return changes.filter((c): c is Values => c !== null && typeof c === 'object');
}

export function plannedChanges(plan: unknown): PlannedChange[] {
  return resourceChanges(plan).flatMap((c) => {
    const actions = c.change?.actions;
    if (!Array.isArray(actions) || typeof c.address !== 'string') throw new StepFailure('terraform show -json of the saved plan has a resource change without an address or actions: not a plan this step can read');
    if (actions.length === 1 && actions[0] === 'no-op') return [];
    const action = actions.length === 2 && actions.includes('delete') && actions.includes('create') ? 'replace' : actions.join(', ');
    return [{ action, address: c.address }];
  });
}

/**
 * A change of a vault's network_acls other than ip_rules. azurerm sends the whole block with the ip_rules
 * of the plan when anything in it changes (internal/services/keyvault/key_vault_resource.go L526-546, a
 * PATCH of api-version 2023-02-01), and the plan's ip_rules are the refreshed ones, which hold the plan
 * job's temporary agent rule and lack the apply job's: the apply would keep the first for good and drop
 * the second mid-apply. Refused, with the way to make the change.
 */
export function networkAclsChanges(plan: unknown, subscription: string): string[] {
  const refused: string[] = [];
  for (const c of resourceChanges(plan)) {
    if (c.type !== 'azurerm_key_vault' || !Array.isArray(c.change?.actions) || !c.change.actions.includes('update')) continue;
    const before = c.change.before?.network_acls?.[0] ?? {};
    const after = c.change.after?.network_acls?.[0] ?? {};
    const differences: string[] = [];
    for (const key of ['default_action', 'bypass'] as const) {
      if (before[key] !== after[key]) differences.push(`${key} ${JSON.stringify(before[key] ?? null)} → ${JSON.stringify(after[key] ?? null)}`);
    }
    const subnets = (acls: { virtual_network_subnet_ids?: unknown }) => (Array.isArray(acls.virtual_network_subnet_ids) ? acls.virtual_network_subnet_ids.map(String) : []);
    const addSubnets = subnets(after).filter((id) => !subnets(before).includes(id));
    const removeSubnets = subnets(before).filter((id) => !subnets(after).includes(id));
    if (addSubnets.length || removeSubnets.length) differences.push('virtual_network_subnet_ids');
    if (!differences.length) continue;
    const name = typeof c.change.after?.name === 'string' ? c.change.after.name : String(c.address);
    const group = typeof c.change.after?.resource_group_name === 'string' ? c.change.after.resource_group_name : '<resource group>';
    const vault = `--name ${name} --resource-group ${group} --subscription ${subscription}`;
    // The values the plan wants, as the commands that set them on the vault.
    const settings = [
      after.default_action === 'Allow' || after.default_action === 'Deny' ? `--default-action ${after.default_action}` : '',
      after.bypass === 'AzureServices' || after.bypass === 'None' ? `--bypass ${after.bypass}` : '',
    ].filter(Boolean);
    const commands = [
      ...(settings.length && differences.some((d) => !d.startsWith('virtual_network')) ? [`az keyvault update ${vault} ${settings.join(' ')}`] : []),
      ...addSubnets.map((id) => `az keyvault network-rule add ${vault} --subnet ${id}`),
      ...removeSubnets.map((id) => `az keyvault network-rule remove ${vault} --subnet ${id}`),
    ];
    refused.push(
      `vault ${name}: the plan changes network_acls (${differences.join(', ')}). azurerm would send the whole block with the rules as this plan read them, keeping this job's temporary agent rule for good and dropping the apply job's mid-apply. Fix: make the change on the vault first (${commands.join('; ')}), then run the pipeline again: the plan then shows no network_acls change`,
    );
  }
  return refused;
}
