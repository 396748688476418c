import { PolicyRule, vaultOfApimCertificate } from '../policy-rule';

/**
 * Microsoft Learn, API Management, "Requirements for Key Vault firewall": with the firewall on, APIM must
 * use its system-assigned identity; a user-assigned one cannot reach the vault. The certificate names a
 * user-assigned identity through key_vault_identity_client_id. An existing vault (a data source) is not
 * known here: its data source carries a plan-time postcondition instead.
 */
export const userAssignedIdentityNoVaultFirewall: PolicyRule = {
  id: 'APIM2',
  description: 'API Management reads a vault with its firewall on only with its system-assigned identity; a user-assigned identity is refused by the Key Vault firewall.',
  level: 'error',
  resourceType: 'azurerm_api_management_certificate',
  isCompliant: (certificate, stack) => {
    if (certificate.key_vault_identity_client_id === undefined) return true;
    const vault = vaultOfApimCertificate(stack, certificate);
    return vault === undefined || (vault.public_network_access_enabled !== false && vault.network_acls?.default_action === 'Allow');
  },
  fix: 'read the vault with the system-assigned identity (apiManagement.identity { type: "SystemAssigned" }), or turn the vault firewall off (networkAcls.defaultAction "Allow"), or give APIM a private network path to the vault',
};
