import { PolicyRule } from '../policy-rule';

export const keyVaultRbacAuthorization: PolicyRule = {
  id: 'AKV1',
  description: 'A Key Vault uses Azure RBAC for its data plane, so access is granted per secret and audited in one place (not access policies).',
  level: 'error',
  resourceType: 'azurerm_key_vault',
  isCompliant: (vault) => vault.rbac_authorization_enabled === true,
  fix: 'set rbac_authorization_enabled = true (the KeyVault construct does)',
};
