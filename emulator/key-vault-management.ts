import { armError, resourceNotFound } from './arm-errors';
import { normaliseIpRules } from './firewall';
import { json } from './http-exchange';
import { authorize } from './rbac';
import { resourceGroupScope, type ArmContext, type ArmRoute } from './resource-manager';
import { vaultResourceId, type NetworkAcls, type Vault, type VaultProperties } from './state';

/**
 * Microsoft.KeyVault vaults on ARM. Spec: specification/keyvault/resource-manager/Microsoft.KeyVault/
 * KeyVault/stable/2023-07-01/keyvault.json (az 2.91.0's azure-mgmt-keyvault 14.0.1 sends api-version
 * 2026-02-01; any api-version is accepted).
 */
const SPEC = 'specification/keyvault/resource-manager/Microsoft.KeyVault/KeyVault/stable/2023-07-01/keyvault.json';
const VAULT_PATH = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults/{vaultName}';
const vaultScope = (p: Record<string, string>) => `${resourceGroupScope(p)}/providers/Microsoft.KeyVault/vaults/${p.vaultName}`;

export const vaultBody = (vault: Vault) => ({
  id: vaultResourceId(vault),
  name: vault.name,
  type: 'Microsoft.KeyVault/vaults',
  location: vault.location,
  tags: vault.tags,
  systemData: { lastModifiedAt: new Date().toISOString() },
  properties: vault.properties,
});

const DEFAULT_ACLS: NetworkAcls = { bypass: 'AzureServices', defaultAction: 'Allow', ipRules: [], virtualNetworkRules: [] };

/**
 * networkAcls as given, with omitted members at their defaults and ipRules normalised. A PUT or PATCH that
 * carries networkAcls replaces the whole NetworkRuleSet (nothing in the spec merges ipRules element-wise; this
 * is inferred, docs-facts §5b).
 */
function networkAclsFrom(input: Partial<NetworkAcls> | undefined): NetworkAcls | { error: string } {
  const merged = { ...DEFAULT_ACLS, ...input };
  const rules = normaliseIpRules(merged.ipRules ?? []);
  if ('error' in rules) return rules;
  if (!['Allow', 'Deny'].includes(merged.defaultAction)) return { error: `Invalid value found at properties.networkAcls.defaultAction: ${merged.defaultAction}` };
  return { ...merged, ipRules: rules.rules, virtualNetworkRules: merged.virtualNetworkRules ?? [] };
}

const badRequest = (message: string) => armError(400, 'BadRequest', message);

export const KEY_VAULT_MANAGEMENT_ROUTES: readonly ArmRoute[] = [
  {
    // az keyvault show / network-rule list, and the GET half of network-rule add/remove.
    method: 'GET',
    path: VAULT_PATH,
    operation: `${SPEC}#Vaults_Get`,
    namespace: 'Microsoft.KeyVault',
    permission: (p) => ({ action: 'Microsoft.KeyVault/vaults/read', scope: vaultScope(p) }),
    handle: ({ state, params }) => {
      const vault = state.vault(params.subscriptionId, params.resourceGroupName, params.vaultName);
      return vault ? json(200, vaultBody(vault)) : resourceNotFound('Microsoft.KeyVault/vaults', params.vaultName, params.resourceGroupName);
    },
  },
  {
    // az keyvault network-rule add/remove: a PUT of the whole vault as read back, plus or minus one ipRule.
    // Returns 200 with provisioningState Succeeded, so azure-core's LRO poller finishes without polling.
    method: 'PUT',
    path: VAULT_PATH,
    operation: `${SPEC}#Vaults_CreateOrUpdate`,
    namespace: 'Microsoft.KeyVault',
    permission: (p) => ({ action: 'Microsoft.KeyVault/vaults/write', scope: vaultScope(p) }),
    handle: (context) => putVault(context),
  },
  {
    // What azurerm does for network_acls changes (PATCH, only the top-level properties sent change).
    method: 'PATCH',
    path: VAULT_PATH,
    operation: `${SPEC}#Vaults_Update`,
    namespace: 'Microsoft.KeyVault',
    permission: (p) => ({ action: 'Microsoft.KeyVault/vaults/write', scope: vaultScope(p) }),
    handle: ({ state, params, body }) => {
      const vault = state.vault(params.subscriptionId, params.resourceGroupName, params.vaultName);
      if (!vault) return resourceNotFound('Microsoft.KeyVault/vaults', params.vaultName, params.resourceGroupName);
      const input = body<{ tags?: Record<string, string>; properties?: Partial<VaultProperties> }>() ?? {};
      const { networkAcls, ...rest } = input.properties ?? {};
      if (networkAcls !== undefined) {
        const acls = networkAclsFrom(networkAcls);
        if ('error' in acls) return badRequest(acls.error);
        vault.properties.networkAcls = acls;
      }
      Object.assign(vault.properties, rest, { vaultUri: vault.properties.vaultUri, provisioningState: 'Succeeded' });
      if (input.tags) vault.tags = input.tags;
      return json(200, vaultBody(vault));
    },
  },
  {
    // azurerm's Key Vault cache (populate_cache.go): every vault of the subscription, then Resources_List.
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/vaults',
    operation: `${SPEC}#Vaults_ListBySubscription`,
    namespace: 'Microsoft.KeyVault',
    handle: ({ state, params, principal }) =>
      json(200, {
        value: [...state.vaults.values()]
          .filter((v) => v.subscriptionId.toLowerCase() === params.subscriptionId.toLowerCase())
          .filter((v) => authorize(state, principal.objectId, 'Microsoft.KeyVault/vaults/read', vaultResourceId(v), false).allowed)
          .map(vaultBody),
      }),
  },
  {
    // azurerm_key_vault's create looks for a soft-deleted vault of the name first (recover_soft_deleted_key_vaults).
    // Deleting vaults is not emulated, so there never is one.
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}',
    operation: `${SPEC}#Vaults_GetDeleted`,
    namespace: 'Microsoft.KeyVault',
    permission: (p) => ({ action: 'Microsoft.KeyVault/locations/deletedVaults/read', scope: `/subscriptions/${p.subscriptionId}` }),
    handle: ({ params }) => armError(404, 'DeletedVaultNotFound', `Deleted vault ${params.vaultName} not found in location ${params.location}.`),
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults',
    operation: `${SPEC}#Vaults_ListByResourceGroup`,
    namespace: 'Microsoft.KeyVault',
    permission: (p) => ({ action: 'Microsoft.KeyVault/vaults/read', scope: resourceGroupScope(p) }),
    handle: ({ state, params }) =>
      json(200, {
        value: [...state.vaults.values()]
          .filter((v) => v.subscriptionId.toLowerCase() === params.subscriptionId.toLowerCase() && v.resourceGroup.toLowerCase() === params.resourceGroupName.toLowerCase())
          .map(vaultBody),
      }),
  },
];

/** Vaults_CreateOrUpdate: the body is the whole vault; omitted properties return to their defaults. */
function putVault({ state, params, body, request }: ArmContext) {
  const input = body<{ location?: string; tags?: Record<string, string>; properties?: Partial<VaultProperties> }>();
  if (!input?.location) return badRequest("The parameter 'location' is required.");
  if (!input.properties?.tenantId || !input.properties.sku) return badRequest("The parameters 'properties.tenantId' and 'properties.sku' are required.");
  const acls = networkAclsFrom(input.properties.networkAcls);
  if ('error' in acls) return badRequest(acls.error);
  const existing = state.vault(params.subscriptionId, params.resourceGroupName, params.vaultName);
  const vault = existing ?? state.addVault({ subscriptionId: params.subscriptionId, resourceGroup: params.resourceGroupName, name: params.vaultName, location: input.location });
  vault.properties = {
    enabledForDeployment: false,
    enabledForDiskEncryption: false,
    enabledForTemplateDeployment: false,
    enableSoftDelete: true,
    softDeleteRetentionInDays: 90,
    // Announced for api-version 2026-02-01: new vaults default to the RBAC permission model (NOT CONFIRMED
    // against the spec text; az always sends the value it read back, so this only matters for new vaults).
    enableRbacAuthorization: (request.query['api-version'] ?? '') >= '2026-02-01',
    accessPolicies: [],
    publicNetworkAccess: 'Enabled',
    ...input.properties,
    networkAcls: acls,
    tenantId: input.properties.tenantId,
    sku: input.properties.sku,
    vaultUri: vault.properties.vaultUri,
    provisioningState: 'Succeeded',
  } as VaultProperties;
  vault.location = input.location;
  vault.tags = input.tags ?? {};
  return json(existing ? 200 : 201, vaultBody(vault));
}
