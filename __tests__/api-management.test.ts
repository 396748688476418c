import './support/cdktf-matchers';
import { ApiManagement as AzurermApiManagement } from '@cdktf/provider-azurerm/lib/api-management';
import { named, only, synthEnvironment } from './support/stack-fixture';

describe('ApiManagement', () => {
  it('is created on Developer_1 with a system-assigned identity by default', () => {
    const { json, tf } = synthEnvironment();
    expect(json).toHaveResourceWithProperties(AzurermApiManagement, {
      name: 'apim-unit',
      sku_name: 'Developer_1',
      publisher_email: 'unit@example.com',
      identity: { type: 'SystemAssigned' },
    });
    expect(only(tf.resource, 'azurerm_api_management_certificate')).not.toHaveProperty('key_vault_identity_client_id');
  });

  it('grants its system-assigned identity, as a new service principal', () => {
    const grant = named(synthEnvironment().tf.resource, 'azurerm_role_assignment', 'ApimSecretRead-mtls-backend');
    expect(grant.principal_id).toBe('${azurerm_api_management.ApiManagement.identity[0].principal_id}');
    expect(grant.principal_type).toBe('ServicePrincipal');
    expect(grant.skip_service_principal_aad_check).toBe(true);
  });

  it('uses a user-assigned identity for Key Vault when one is configured', () => {
    const { tf } = synthEnvironment({
      apiManagement: { name: 'apim-unit', publisherName: 'Unit', publisherEmail: 'unit@example.com', identity: { type: 'UserAssigned', name: 'id-apim-unit' } },
    });
    const identity = only(tf.resource, 'azurerm_user_assigned_identity');
    expect(identity.name).toBe('id-apim-unit');
    const apim = only(tf.resource, 'azurerm_api_management');
    expect(apim.identity).toEqual({ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.ApiManagementIdentity.id}'] });
    expect(only(tf.resource, 'azurerm_api_management_certificate').key_vault_identity_client_id).toBe(
      '${azurerm_user_assigned_identity.ApiManagementIdentity.client_id}',
    );
    expect(named(tf.resource, 'azurerm_role_assignment', 'ApimSecretRead-mtls-backend').principal_id).toBe(
      '${azurerm_user_assigned_identity.ApiManagementIdentity.principal_id}',
    );
  });

  it('refers to an existing instance with a data source, creates none, and grants its identity', () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-shared', existing: true, resourceGroupName: 'rg-shared' } });
    expect(tf.resource?.azurerm_api_management).toBeUndefined();
    const apim = only(tf.data, 'azurerm_api_management');
    expect(apim).toMatchObject({ name: 'apim-shared', resource_group_name: 'rg-shared' });
    expect(named(tf.resource, 'azurerm_role_assignment', 'ApimSecretRead-mtls-backend').principal_id).toBe(
      '${data.azurerm_api_management.ApiManagement.identity[0].principal_id}',
    );
    // An existing identity has replicated long ago: no reason to skip Entra ID's check.
    expect(named(tf.resource, 'azurerm_role_assignment', 'ApimSecretRead-mtls-backend')).not.toHaveProperty('skip_service_principal_aad_check');
    expect(only(tf.resource, 'azurerm_api_management_certificate')).toMatchObject({ api_management_name: 'apim-shared', resource_group_name: 'rg-shared' });
  });

  it('checks at plan time that an existing instance has a system-assigned identity to grant', () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-shared', existing: true, resourceGroupName: 'rg-shared' } });
    expect(only(tf.data, 'azurerm_api_management').lifecycle.postcondition).toEqual([
      {
        condition: '${anytrue([for i in self.identity : strcontains(i.type, "SystemAssigned")])}',
        error_message: expect.stringContaining('API Management instance "apim-shared" has no system-assigned identity'),
      },
    ]);
  });

  it('checks at plan time that an existing instance has the user-assigned identity attached, ignoring case', () => {
    const { tf } = synthEnvironment({
      keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } },
      apiManagement: { name: 'apim-shared', existing: true, identity: { type: 'UserAssigned', name: 'id-shared', existing: true } },
    });
    const [attached] = only(tf.data, 'azurerm_api_management').lifecycle.postcondition;
    expect(attached.condition).toBe(
      '${contains([for id in flatten(self.identity[*].identity_ids) : lower(id)], lower(data.azurerm_user_assigned_identity.ApiManagementIdentity.id))}',
    );
    expect(attached.error_message).toContain('does not have the user-assigned identity this stack grants Key Vault access to');
  });

  it('refers to an existing user-assigned identity with a data source', () => {
    const { tf } = synthEnvironment({
      apiManagement: { name: 'apim-shared', existing: true, identity: { type: 'UserAssigned', name: 'id-shared', existing: true, resourceGroupName: 'rg-id' } },
    });
    expect(tf.resource?.azurerm_user_assigned_identity).toBeUndefined();
    expect(only(tf.data, 'azurerm_user_assigned_identity')).toMatchObject({ name: 'id-shared', resource_group_name: 'rg-id' });
    expect(only(tf.resource, 'azurerm_api_management_certificate').key_vault_identity_client_id).toBe(
      '${data.azurerm_user_assigned_identity.ApiManagementIdentity.client_id}',
    );
  });
});
