import type { EnvironmentConfig } from '../../config/environment-config';

/**
 * Environments that take the branches the shipped ones do not, synthesized by `npm test` only so that
 * Terraform validates those shapes too (data sources for existing resources, a user-assigned identity,
 * PEM and EC certificates, remote state, no deployer grants).
 */
export const variantEnvironments: readonly EnvironmentConfig[] = [
  {
    name: 'variant-existing',
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    location: 'westeurope',
    resourceGroup: { name: 'rg-shared', existing: true },
    keyVault: { name: 'kv-shared', existing: true },
    apiManagement: {
      name: 'apim-shared',
      existing: true,
      resourceGroupName: 'rg-apim',
      identity: { type: 'UserAssigned', name: 'id-apim-shared', existing: true },
    },
    deployers: [],
    certificates: [
      { name: 'partner-pem', format: 'pem', apiPolicy: { apiName: 'orders' } },
      { name: 'partner-ec', key: { keyType: 'EC', curve: 'P-256' }, backend: { url: 'https://ec.partner.example' } },
    ],
    state: { resourceGroupName: 'rg-tfstate', storageAccountName: 'sttfstate0001' },
  },
  {
    name: 'variant-created',
    location: 'northeurope',
    resourceGroup: { name: 'rg-created' },
    keyVault: { name: 'kv-created', skuName: 'premium', publicNetworkAccessEnabled: false, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } },
    apiManagement: {
      name: 'apim-created',
      publisherName: 'Variant',
      publisherEmail: 'variant@example.com',
      skuName: 'StandardV2_1',
      identity: { type: 'UserAssigned', name: 'id-apim-created' },
    },
    deployers: [
      { objectId: '33333333-3333-3333-3333-333333333333', type: 'Group', description: 'platform admins' },
      { objectId: '44444444-4444-4444-4444-444444444444', type: 'ServicePrincipal' },
    ],
    grantCurrentCaller: true,
    rbacPropagationWait: '3m',
    certificates: [{ name: 'one', key: { keyType: 'RSA', keySize: 4096 } }, { name: 'two', backend: { name: 'two-backend', url: 'https://two.example/api' } }],
  },
];
