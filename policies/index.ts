import { PolicyRule } from './policy-rule';
import { apimCertificatePkcs12Secret } from './rules/apim-certificate-pkcs12-secret';
import { apiPolicyReplacesWholePolicy } from './rules/api-policy-replaces-whole-policy';
import { apimTrustedServicesBypass } from './rules/apim-trusted-services-bypass';
import { backendTlsValidation } from './rules/backend-tls-validation';
import { certificateContentsFromFile } from './rules/certificate-contents-from-file';
import { certificateKeyExportable } from './rules/certificate-key-exportable';
import { certificatePasswordSensitive } from './rules/certificate-password-sensitive';
import { keyVaultNetworkDeny } from './rules/key-vault-network-deny';
import { keyVaultPurgeProtection } from './rules/key-vault-purge-protection';
import { keyVaultRbacAuthorization } from './rules/key-vault-rbac-authorization';
import { secretReadScopedToSecret } from './rules/role-assignment-not-vault-wide-secrets';
import { userAssignedIdentityNoVaultFirewall } from './rules/user-assigned-identity-no-vault-firewall';

export const POLICY_RULES: readonly PolicyRule[] = [
  keyVaultRbacAuthorization,
  keyVaultPurgeProtection,
  keyVaultNetworkDeny,
  certificateContentsFromFile,
  certificatePasswordSensitive,
  certificateKeyExportable,
  secretReadScopedToSecret,
  backendTlsValidation,
  userAssignedIdentityNoVaultFirewall,
  apimCertificatePkcs12Secret,
  apiPolicyReplacesWholePolicy,
  apimTrustedServicesBypass,
];
