import { X509Certificate } from 'node:crypto';

/** A certificate as Key Vault or APIM would report it in state. */
export interface StateCertificate {
  readonly pem: string;
  readonly key?: { readonly keyType: 'RSA'; readonly keySize: number } | { readonly keyType: 'EC'; readonly curve: string };
  /** What the last apply imported (the state keeps the file and its password in clear). */
  readonly imported?: { readonly contents: string; readonly password: string };
}

export function thumbprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint.replace(/:/g, '').toUpperCase();
}

const SUBSCRIPTION = '/subscriptions/6b9f2c1e-7d4a-4e8b-9c3f-1a2b3c4d5e6f/resourceGroups/rg-payments-qa';

/**
 * `terraform show -json` of a deployed stack as azurerm 4.55 writes it: every attribute of
 * azurerm_key_vault_certificate and azurerm_api_management_certificate present (schema as recorded in
 * ../shared/tf-offline), addresses as this project's stacks name them.
 */
export function stateDocument(certificates: Record<string, { keyVault?: StateCertificate; apiManagement?: StateCertificate }>): object {
  const resources = Object.entries(certificates).flatMap(([name, { keyVault, apiManagement }]) => {
    const blocks: object[] = [];
    if (keyVault) {
      const x509 = new X509Certificate(keyVault.pem);
      const version = `${name.replace(/-/g, '')}0123456789abcdef`.slice(0, 32);
      const key = keyVault.key ?? { keyType: 'RSA', keySize: 2048 };
      blocks.push({
        address: `azurerm_key_vault_certificate.Certificate-${name}_KeyVaultCertificate`,
        mode: 'managed',
        type: 'azurerm_key_vault_certificate',
        name: `Certificate-${name}_KeyVaultCertificate`,
        provider_name: 'registry.terraform.io/hashicorp/azurerm',
        schema_version: 0,
        values: {
          certificate: [keyVault.imported ?? { contents: 'TUlJSg==', password: '' }],
          certificate_attribute: [
            { created: new Date(x509.validFrom).toISOString(), enabled: true, expires: new Date(x509.validTo).toISOString(), not_before: new Date(x509.validFrom).toISOString(), recovery_level: 'Recoverable', updated: new Date(x509.validFrom).toISOString() },
          ],
          certificate_data: x509.raw.toString('hex').toUpperCase(),
          certificate_data_base64: x509.raw.toString('base64'),
          certificate_policy: [
            {
              issuer_parameters: [{ name: 'Unknown' }],
              key_properties: [key.keyType === 'EC' ? { curve: key.curve, exportable: true, key_size: 0, key_type: 'EC', reuse_key: false } : { curve: '', exportable: true, key_size: key.keySize, key_type: 'RSA', reuse_key: false }],
              lifetime_action: [{ action: [{ action_type: 'EmailContacts' }], trigger: [{ days_before_expiry: 30, lifetime_percentage: 0 }] }],
              secret_properties: [{ content_type: 'application/x-pkcs12' }],
              x509_certificate_properties: [{ extended_key_usage: ['1.3.6.1.5.5.7.3.2'], key_usage: ['digitalSignature'], subject: x509.subject.replace(/\n/g, ', '), subject_alternative_names: [], validity_in_months: 12 }],
            },
          ],
          id: `https://kv-payments-qa.vault.azure.net/certificates/${name}/${version}`,
          key_vault_id: `${SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults/kv-payments-qa`,
          name,
          resource_manager_id: `${SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults/kv-payments-qa/certificates/${name}/versions/${version}`,
          resource_manager_versionless_id: `${SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults/kv-payments-qa/certificates/${name}`,
          secret_id: `https://kv-payments-qa.vault.azure.net/secrets/${name}/${version}`,
          tags: {},
          thumbprint: thumbprintOf(keyVault.pem),
          timeouts: null,
          version,
          versionless_id: `https://kv-payments-qa.vault.azure.net/certificates/${name}`,
          versionless_secret_id: `https://kv-payments-qa.vault.azure.net/secrets/${name}`,
        },
        sensitive_values: { certificate: [{}], certificate_attribute: [{}], certificate_policy: [{}], tags: {} },
      });
    }
    if (apiManagement) {
      const x509 = new X509Certificate(apiManagement.pem);
      blocks.push({
        address: `azurerm_api_management_certificate.Certificate-${name}_ApiManagementCertificate`,
        mode: 'managed',
        type: 'azurerm_api_management_certificate',
        name: `Certificate-${name}_ApiManagementCertificate`,
        provider_name: 'registry.terraform.io/hashicorp/azurerm',
        schema_version: 0,
        values: {
          api_management_name: 'apim-payments-qa',
          data: null,
          expiration: new Date(x509.validTo).toISOString(),
          id: `${SUBSCRIPTION}/providers/Microsoft.ApiManagement/service/apim-payments-qa/certificates/${name}`,
          key_vault_identity_client_id: '',
          key_vault_secret_id: `https://kv-payments-qa.vault.azure.net/secrets/${name}`,
          name,
          password: null,
          resource_group_name: 'rg-payments-qa',
          subject: x509.subject.replace(/\n/g, ', '),
          thumbprint: thumbprintOf(apiManagement.pem),
          timeouts: null,
        },
        sensitive_values: {},
      });
    }
    return blocks;
  });
  return { format_version: '1.0', terraform_version: '1.11.4', values: { outputs: {}, root_module: { resources } } };
}
