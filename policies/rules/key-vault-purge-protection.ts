import { PolicyRule } from '../policy-rule';

export const keyVaultPurgeProtection: PolicyRule = {
  id: 'AKV2',
  description: 'A Key Vault has purge protection, so a deleted certificate cannot be destroyed for good before its retention ends.',
  level: 'error',
  resourceType: 'azurerm_key_vault',
  isCompliant: (vault) => vault.purge_protection_enabled === true,
  fix: 'leave keyVault.purgeProtectionEnabled at its default (true)',
};
