/**
 * The built-in Azure roles this project assigns, by their role definition ids (the same in every tenant).
 * Ids from Microsoft's "Azure built-in roles" reference (Security section).
 */
export interface BuiltInRole {
  readonly name: string;
  readonly roleDefinitionId: string;
}

export const BuiltInRoles = {
  /** Data plane: import, update, delete certificates (the deployer, so it can import the PFX). */
  keyVaultCertificatesOfficer: { name: 'Key Vault Certificates Officer', roleDefinitionId: 'a4417e6f-fecd-4de8-b567-7b0420556985' },
  /** Data plane: read secret contents (APIM reads the certificate with its private key as a secret). */
  keyVaultSecretsUser: { name: 'Key Vault Secrets User', roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6' },
} as const satisfies Record<string, BuiltInRole>;
