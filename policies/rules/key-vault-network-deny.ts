import { PolicyRule } from '../policy-rule';

export const keyVaultNetworkDeny: PolicyRule = {
  id: 'AKV3',
  description: 'A Key Vault denies network access by default and lets in only listed addresses and trusted Azure services.',
  level: 'warning',
  resourceType: 'azurerm_key_vault',
  isCompliant: (vault) => vault.public_network_access_enabled === false || vault.network_acls?.default_action === 'Deny',
  fix: 'set keyVault.networkAcls.defaultAction to "Deny" with the deployers\' addresses in ipRules',
};
