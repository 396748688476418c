import type { EnvironmentConfig } from '../config/environment-config';

// Placeholders: replace the GUIDs and the 203.0.113.x documentation addresses with your own.
const test: EnvironmentConfig = {
  name: 'test',
  subscriptionId: '00000000-0000-0000-0000-0000000000a2',
  location: 'westeurope',
  // The platform team owns the group; this stack only places resources in it.
  resourceGroup: { name: 'rg-apimcert-test', existing: true },
  keyVault: {
    name: 'kv-apimcert-test',
    networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.64/27'] },
  },
  apiManagement: {
    name: 'apim-apimcert-test',
    publisherName: 'Contoso Platform Team',
    publisherEmail: 'platform@contoso.example',
    skuName: 'StandardV2_1',
    // The system-assigned identity: the vault's firewall is on, and Microsoft lets no user-assigned identity
    // through a Key Vault firewall (API Management docs, "Requirements for Key Vault firewall").
    identity: { type: 'SystemAssigned' },
  },
  deployers: [{ objectId: '00000000-0000-0000-0000-00000000d002', type: 'ServicePrincipal', description: 'pipeline: apimcert-test' }],
  certificates: [
    { name: 'mtls-backend', backend: { url: 'https://backend.test.contoso.example/api' } },
    { name: 'partner-orders', format: 'pem', backend: { url: 'https://orders.partner.example/v2' } },
  ],
  expiryWarnings: { daysBeforeExpiry: 30, contacts: [{ email: 'platform@contoso.example', name: 'Platform team' }] },
  tags: { environment: 'test', workload: 'apimcert' },
  state: { resourceGroupName: 'rg-tfstate', storageAccountName: 'sttfstateapimcert', containerName: 'tfstate' },
  pipeline: { order: 20 },
};

export default test;
