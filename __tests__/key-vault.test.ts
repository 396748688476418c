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

  it('rejects a vault name with two consecutive hyphens in the construct too, naming the construct', () => {
    const scope = new TerraformStack(Testing.app(), 'props');
    expect(() => new KeyVault(scope, 'Vault', { name: 'kv--bad', resourceGroupName: 'rg', location: 'westeurope' })).toThrow(
      'props/Vault: name = "kv--bad": a Key Vault name must not contain two consecutive hyphens. Fix: replace "--" with a single hyphen',
    );
  });
});
