import { PolicyRule } from './policy-rule';
import { backendTlsValidation } from './rules/backend-tls-validation';
import { certificateContentsFromFile } from './rules/certificate-contents-from-file';
import { certificateKeyExportable } from './rules/certificate-key-exportable';
import { certificatePasswordSensitive } from './rules/certificate-password-sensitive';
import { keyVaultNetworkDeny } from './rules/key-vault-network-deny';
import { keyVaultPurgeProtection } from './rules/key-vault-purge-protection';
import { keyVaultRbacAuthorization } from './rules/key-vault-rbac-authorization';
import { secretReadScopedToSecret } from './rules/role-assignment-not-vault-wide-secrets';

export const POLICY_RULES: readonly PolicyRule[] = [
  keyVaultRbacAuthorization,
  keyVaultPurgeProtection,
  keyVaultNetworkDeny,
  certificateContentsFromFile,
  certificatePasswordSensitive,
  certificateKeyExportable,
  secretReadScopedToSecret,
  backendTlsValidation,
];
