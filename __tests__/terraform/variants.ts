import type { EnvironmentConfig } from '../../config/environment-config';

/**
 * Environments that take the branches the shipped ones do not, synthesized by `npm test` only so that
 * Terraform validates those shapes too, and `terraform test` runs the plan-time checks on them
 * (__tests__/terraform/<name>/*.tftest.hcl).
 */
export const variantEnvironments: readonly EnvironmentConfig[] = [
  // Everything exists already and APIM reads the vault with a user-assigned identity: the plan-time checks
  // (vault uses RBAC, vault without firewall, identity attached to the instance) guard the assumptions.
  {
    name: 'variant-existing',
    subscriptionId: '7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90',
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
      { name: 'partner-pem', format: 'pem', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } },
      { name: 'partner-ec', key: { keyType: 'EC', curve: 'P-256', acceptEcKeyRisk: 'variant: the EC shape of the stack, validated by Terraform' }, backend: { url: 'https://ec.partner.example' } },
    ],
    state: { resourceGroupName: 'rg-tfstate', storageAccountName: 'sttfstate0001' },
    policySuppressions: [{ rule: 'APIM4', reason: 'the orders API is owned by this stack in the variant' }],
    // An existing vault's contacts only when this stack is told it owns them.
    expiryWarnings: { daysBeforeExpiry: 21, contacts: [{ email: 'shared-certs@example.com' }], manageExistingVaultContacts: true },
  },
  // An instance someone else runs, read through its system-assigned identity behind the vault's firewall.
  {
    name: 'variant-existing-system',
    location: 'westeurope',
    resourceGroup: { name: 'rg-shared', existing: true },
    keyVault: { name: 'kv-shared-fw', existing: true },
    apiManagement: { name: 'apim-shared', existing: true, resourceGroupName: 'rg-apim' },
    deployers: [{ objectId: '2b7e4f90-6c1d-4e8a-b3f5-0d9c8a7e6b21', type: 'ServicePrincipal', description: 'pipeline' }],
    certificates: [{ name: 'shared-one' }],
  },
  // A created vault without firewall is the one place a user-assigned identity may read it.
  {
    name: 'variant-created',
    location: 'northeurope',
    resourceGroup: { name: 'rg-created' },
    keyVault: { name: 'kv-created', skuName: 'premium', networkAcls: { defaultAction: 'Allow' } },
    apiManagement: {
      name: 'apim-created',
      publisherName: 'Variant',
      publisherEmail: 'variant@example.com',
      skuName: 'StandardV2_1',
      identity: { type: 'UserAssigned', name: 'id-apim-created' },
    },
    deployers: [
      { objectId: '3c5a7e21-8b4d-4f6a-9e2c-1d7b3a5f8e64', type: 'Group', description: 'platform admins' },
      { objectId: '9f2b6d84-1e3c-4a7b-8d5f-6c0e2a4b7d13', type: 'ServicePrincipal' },
    ],
    grantCurrentCaller: true,
    rbacPropagationWait: '3m',
    certificates: [{ name: 'one', key: { keyType: 'RSA', keySize: 4096 } }, { name: 'two', backend: { name: 'two-backend', url: 'https://two.example/api' } }],
    policySuppressions: [{ rule: 'AKV3', reason: 'variant: the only vault shape a user-assigned APIM identity can read' }],
    expiryWarnings: { contacts: [{ email: 'certs@example.com' }] },
  },
  // No public access at all: deployers and APIM come through a private endpoint.
  {
    name: 'variant-private',
    location: 'swedencentral',
    resourceGroup: { name: 'rg-private' },
    keyVault: {
      name: 'kv-private',
      publicNetworkAccessEnabled: false,
      privateEndpoint: {
        subnetId: '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-agents/subnets/snet-endpoints',
        privateDnsZoneId: '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net',
      },
    },
    apiManagement: { name: 'apim-private', publisherName: 'Variant', publisherEmail: 'variant@example.com' },
    deployers: [{ objectId: '5e8d2c71-4a9b-4c3e-8f1d-7b6a0e9c2d45', type: 'ServicePrincipal', description: 'self-hosted agents' }],
    certificates: [{ name: 'private-one' }],
    expiryWarnings: { daysBeforeExpiry: 60, contacts: [{ email: 'certs@example.com', name: 'Certificates' }], eventGridWebhookUrl: 'https://alerts.example.com/keyvault' },
  },
];
