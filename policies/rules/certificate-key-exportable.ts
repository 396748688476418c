import { PolicyRule } from '../policy-rule';

export const certificateKeyExportable: PolicyRule = {
  id: 'CERT3',
  description: 'An imported client certificate has an exportable key: APIM reads the private key through the certificate\'s secret.',
  level: 'error',
  resourceType: 'azurerm_key_vault_certificate',
  isCompliant: (cert) => cert.certificate_policy?.key_properties?.exportable === true,
  fix: 'set certificate_policy.key_properties.exportable = true',
};
