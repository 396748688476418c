import { PolicyRule, referencedResource } from '../policy-rule';

/**
 * azurerm docs, azurerm_api_management_certificate: key_vault_secret_id "must be of the type
 * application/x-pkcs12"; API Management reads client certificates as PFX only. A PEM-stored secret
 * registers nothing usable and fails at apply, so every APIM certificate must point at a Key Vault
 * certificate of this stack whose policy stores it as PKCS#12.
 */
export const apimCertificatePkcs12Secret: PolicyRule = {
  id: 'APIM3',
  description: 'An APIM certificate refers to a Key Vault certificate of this stack stored as application/x-pkcs12, the only secret type API Management reads.',
  level: 'error',
  resourceType: 'azurerm_api_management_certificate',
  isCompliant: (certificate, stack) => {
    if (certificate.key_vault_secret_id === undefined) return true;
    const kvCertificate = referencedResource(stack, certificate.key_vault_secret_id, 'azurerm_key_vault_certificate');
    return kvCertificate?.certificate_policy?.secret_properties?.content_type === 'application/x-pkcs12';
  },
  fix: 'import the certificate as a PFX (a PEM bundle is converted by operations/pem-to-pfx.ts) with secret_properties.content_type "application/x-pkcs12", as ClientCertificate does',
};
