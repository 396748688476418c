import './support/cdktf-matchers';
import { buildDependencyGraph } from '../analysis/dependency-graph';
import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { KeyVault as AzurermKeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { TerraformStack, Testing } from 'cdktf';
import { KeyVault } from '../constructs/key-vault';
import { BuiltInRoles } from '../constructs/role-definitions';
import { named, only, synthEnvironment } from './support/stack-fixture';

describe('KeyVault', () => {
  it('is created with RBAC authorization, purge protection, 90 days of soft delete and a deny-by-default firewall', () => {
    const { json } = synthEnvironment();
    expect(json).toHaveResourceWithProperties(AzurermKeyVault, {
      name: 'kv-unit',
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      sku_name: 'standard',
      network_acls: { default_action: 'Deny', bypass: 'AzureServices' },
    });
  });

  it('does not use the deprecated enable_rbac_authorization argument', () => {
    const { tf } = synthEnvironment();
    expect(only(tf.resource, 'azurerm_key_vault')).not.toHaveProperty('enable_rbac_authorization');
  });

  it('takes its tenant from the credentials Terraform runs with unless one is given', () => {
    expect(only(synthEnvironment().tf.resource, 'azurerm_key_vault').tenant_id).toMatch(/^\$\{data\.azurerm_client_config\.[^}]+\.tenant_id\}$/);
    const tenantId = '22222222-2222-2222-2222-222222222222';
    expect(only(synthEnvironment({ tenantId }).tf.resource, 'azurerm_key_vault').tenant_id).toBe(tenantId);
  });

  it('passes IP rules through to the firewall', () => {
    const { tf } = synthEnvironment({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.0/24'] } } });
    expect(only(tf.resource, 'azurerm_key_vault').network_acls.ip_rules).toEqual(['203.0.113.0/24']);
  });

  it('refers to an existing vault with a data source and creates no vault', () => {
    const { tf, json } = synthEnvironment({ keyVault: { name: 'kv-shared', existing: true, resourceGroupName: 'rg-shared' } });
    expect(tf.resource?.azurerm_key_vault).toBeUndefined();
    expect(json).toHaveDataSourceWithProperties(DataAzurermKeyVault, { name: 'kv-shared', resource_group_name: 'rg-shared' });
    expect(only(tf.resource, 'azurerm_key_vault_certificate').key_vault_id).toMatch(/^\$\{data\.azurerm_key_vault\./);
  });

  it('grants each deployer Key Vault Certificates Officer on the vault, by role definition id', () => {
    const { tf } = synthEnvironment();
    const grant = named(tf.resource, 'azurerm_role_assignment', 'DeployerAccess-11111111-1111-1111-1111-111111111111');
    expect(grant.role_definition_id).toMatch(new RegExp(`/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.keyVaultCertificatesOfficer.roleDefinitionId}$`));
    expect(grant.role_definition_id).toMatch(/^\$\{data\.azurerm_subscription\.[^}]+\.id\}/);
    expect(grant.scope).toMatch(/^\$\{azurerm_key_vault\.KeyVault\.id\}$/);
    expect(grant.principal_type).toBe('ServicePrincipal');
    expect(grant.principal_id).toBe('11111111-1111-1111-1111-111111111111');
  });


  it('grants the current caller only when asked to', () => {
    const without = synthEnvironment().tf;
    expect(Object.keys(without.resource?.azurerm_role_assignment ?? {}).some((k) => k.endsWith('CurrentCaller'))).toBe(false);
    const withCaller = synthEnvironment({ grantCurrentCaller: true }).tf;
    expect(named(withCaller.resource, 'azurerm_role_assignment', 'DeployerAccess-CurrentCaller').principal_id).toMatch(/^\$\{data\.azurerm_client_config\.[^}]+\.object_id\}$/);
  });

  it('leaves ip_rules to the deployment after creation, so an agent\'s temporary rule is never removed mid-apply', () => {
    const vault = only(synthEnvironment().tf.resource, 'azurerm_key_vault');
    expect(vault.lifecycle).toEqual({ ignore_changes: ['network_acls[0].ip_rules'] });
    const scope = new TerraformStack(Testing.app(), 'props');
    const owned = new KeyVault(scope, 'Vault', { name: 'kv-owned', resourceGroupName: 'rg', location: 'westeurope', ipRulesManagedOutsideTerraform: false });
    expect(JSON.parse(Testing.synth(scope)).resource.azurerm_key_vault[owned.resource.friendlyUniqueId].lifecycle).toBeUndefined();
  });

  it('adds a private endpoint for the vault sub-resource with its private DNS zone when asked', () => {
    const subnetId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-pe';
    const privateDnsZoneId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net';
    const { tf } = synthEnvironment({ keyVault: { name: 'kv-unit', privateEndpoint: { subnetId, privateDnsZoneId } } });
    expect(only(tf.resource, 'azurerm_private_endpoint')).toMatchObject({
      name: 'pe-kv-unit',
      subnet_id: subnetId,
      private_service_connection: { private_connection_resource_id: '${azurerm_key_vault.KeyVault.id}', subresource_names: ['vault'], is_manual_connection: false },
      private_dns_zone_group: { private_dns_zone_ids: [privateDnsZoneId] },
    });
    expect(synthEnvironment().tf.resource?.azurerm_private_endpoint).toBeUndefined();
  });

  it('makes the first import wait for the private endpoint and its DNS zone group, an edge the dependency graph shows', () => {
    const subnetId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-pe';
    const privateDnsZoneId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net';
    const { tf } = synthEnvironment({ keyVault: { name: 'kv-unit', privateEndpoint: { subnetId, privateDnsZoneId } }, expiryWarnings: { contacts: [{ email: 'certs@example.com' }] } });
    const endpoint = `azurerm_private_endpoint.${Object.keys(tf.resource!.azurerm_private_endpoint)[0]}`;
    const graph = buildDependencyGraph(tf);
    const importing = `azurerm_key_vault_certificate.${Object.keys(tf.resource!.azurerm_key_vault_certificate)[0]}`;
    const contacts = `azurerm_key_vault_certificate_contacts.${Object.keys(tf.resource!.azurerm_key_vault_certificate_contacts)[0]}`;
    expect([graph.dependsOn.get(importing)?.has(endpoint), graph.dependsOn.get(contacts)?.has(endpoint)]).toEqual([true, true]);
    // Without an endpoint there is nothing to wait for.
    const plain = synthEnvironment().tf;
    expect(JSON.stringify(plain.resource!.azurerm_key_vault_certificate)).not.toContain('azurerm_private_endpoint');
  });

  it('rejects a private DNS zone that is not Key Vault\'s private-link zone', () => {
    const scope = new TerraformStack(Testing.app(), 'props');
    const subnetId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s';
    expect(() => new KeyVault(scope, 'Vault', { name: 'kv-pe', resourceGroupName: 'rg', location: 'westeurope', privateEndpoint: { subnetId, privateDnsZoneId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/contoso.com' } })).toThrow(
      /^props\/Vault: privateEndpoint\.privateDnsZoneId = ".*contoso\.com": must be the resource id of a privatelink\.vaultcore\.azure\.net private DNS zone/,
    );
  });

  it('checks at plan time that an existing vault with its firewall on lets trusted services (APIM) through', () => {
    const [bypass] = only(synthEnvironment({ keyVault: { name: 'kv-shared', existing: true } }).tf.data, 'azurerm_key_vault').lifecycle.postcondition;
    expect(bypass.condition).toContain('acl.bypass == "AzureServices"');
    expect(bypass.error_message).toContain('has its firewall on without letting trusted Microsoft services through');
  });

  it('checks at plan time that an existing vault uses Azure RBAC', () => {
    const { tf } = synthEnvironment({ keyVault: { name: 'kv-shared', existing: true } });
    const [, rbac, ...others] = only(tf.data, 'azurerm_key_vault').lifecycle.postcondition;
    expect(others).toEqual([]);
    expect(rbac).toEqual({ condition: '${self.rbac_authorization_enabled == true}', error_message: expect.stringMatching(/^Key Vault "kv-shared" uses access policies, not Azure RBAC: .* Fix: switch the vault to the Azure RBAC permission model/) });
  });

  it('checks at plan time that an existing vault has no firewall when APIM reads it with a user-assigned identity', () => {
    const { tf } = synthEnvironment({
      keyVault: { name: 'kv-shared', existing: true },
      apiManagement: { name: 'apim-shared', existing: true, identity: { type: 'UserAssigned', name: 'id-shared', existing: true } },
    });
    const conditions = only(tf.data, 'azurerm_key_vault').lifecycle.postcondition;
    expect(conditions).toHaveLength(3);
    expect(conditions[2].condition).toBe('${self.public_network_access_enabled != false && alltrue([for acl in self.network_acls : acl.default_action == "Allow"])}');
    expect(conditions[2].error_message).toContain('Key Vault "kv-shared" has its firewall on');
    expect(conditions[2].error_message).toContain('Fix: let APIM read the vault with its system-assigned identity');
  });

  it('sets the certificate contacts of a created vault after the deployers\' access has propagated', () => {
    const { tf } = synthEnvironment({ expiryWarnings: { contacts: [{ email: 'certs@example.com', name: 'Certificates' }] } });
    expect(only(tf.resource, 'azurerm_key_vault_certificate_contacts')).toEqual(
      expect.objectContaining({ key_vault_id: '${azurerm_key_vault.KeyVault.id}', contact: [{ email: 'certs@example.com', name: 'Certificates' }], depends_on: ['time_sleep.DeployerAccessPropagation_Sleep'] }),
    );
  });

  it('leaves an existing vault\'s contacts alone unless told to manage them', () => {
    const contacts = [{ email: 'certs@example.com' }];
    expect(synthEnvironment({ keyVault: { name: 'kv-shared', existing: true }, expiryWarnings: { contacts } }).tf.resource?.azurerm_key_vault_certificate_contacts).toBeUndefined();
    expect(only(synthEnvironment({ keyVault: { name: 'kv-shared', existing: true }, expiryWarnings: { contacts, manageExistingVaultContacts: true } }).tf.resource, 'azurerm_key_vault_certificate_contacts').key_vault_id).toBe(
      '${data.azurerm_key_vault.KeyVault.id}',
    );
  });

  it('sends NearExpiry and Expired events to a webhook through an Event Grid system topic on the vault', () => {
    const { tf } = synthEnvironment({ expiryWarnings: { eventGridWebhookUrl: 'https://alerts.example.com/kv' } });
    expect(only(tf.resource, 'azurerm_eventgrid_system_topic')).toMatchObject({ source_resource_id: '${azurerm_key_vault.KeyVault.id}', topic_type: 'Microsoft.KeyVault.vaults', location: 'westeurope' });
    expect(only(tf.resource, 'azurerm_eventgrid_system_topic_event_subscription')).toMatchObject({
      included_event_types: ['Microsoft.KeyVault.CertificateNearExpiry', 'Microsoft.KeyVault.CertificateExpired'],
      webhook_endpoint: { url: 'https://alerts.example.com/kv' },
    });
    expect(synthEnvironment().tf.resource?.azurerm_eventgrid_system_topic).toBeUndefined();
  });

  it('rejects a vault name with two consecutive hyphens in the construct too, naming the construct', () => {
    const scope = new TerraformStack(Testing.app(), 'props');
    expect(() => new KeyVault(scope, 'Vault', { name: 'kv--bad', resourceGroupName: 'rg', location: 'westeurope' })).toThrow(
      'props/Vault: name = "kv--bad": a Key Vault name must not contain two consecutive hyphens. Fix: replace "--" with a single hyphen',
    );
  });
});
