import { PolicyRule, vaultOfApimCertificate } from '../policy-rule';

/**
 * Microsoft Learn, API Management, "Requirements for Key Vault firewall": with the firewall on, the vault
 * must let trusted Microsoft services bypass it; API Management reads certificates through that trusted
 * service connectivity. A vault of this stack whose firewall is on with bypass "None" refuses APIM at
 * apply. An existing vault is checked at plan time by a postcondition on its data source.
 */
export const apimTrustedServicesBypass: PolicyRule = {
  id: 'APIM5',
  description: 'A vault with its firewall on lets trusted Microsoft services through (bypass "AzureServices"), the path API Management reads certificates by.',
  level: 'error',
  resourceType: 'azurerm_api_management_certificate',
  isCompliant: (certificate, stack) => {
    const vault = vaultOfApimCertificate(stack, certificate);
    if (!vault) return true;
    const firewallOn = vault.public_network_access_enabled === false || vault.network_acls?.default_action === 'Deny';
    return !firewallOn || vault.network_acls?.bypass === 'AzureServices';
  },
  fix: 'set keyVault.networkAcls.bypass to "AzureServices" (the default)',
};
