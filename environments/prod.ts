import type { EnvironmentConfig } from '../config/environment-config';

// Placeholders: replace the GUIDs and the 203.0.113.x documentation addresses with your own.
const prod: EnvironmentConfig = {
  name: 'prod',
  subscriptionId: '00000000-0000-0000-0000-0000000000a3',
  tenantId: '00000000-0000-0000-0000-0000000000f0',
  location: 'westeurope',
  resourceGroup: { name: 'rg-apimcert-prod', existing: true },
  keyVault: {
    name: 'kv-apimcert-prod',
    skuName: 'premium',
    networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.96/27'] },
  },
  // Production APIM is run by the API platform team: this stack only adds certificates to it. It reads the
  // vault with its system-assigned identity, the only one a Key Vault firewall lets through; the plan
  // fails if the instance has none.
  apiManagement: {
    name: 'apim-contoso-prod',
    existing: true,
    resourceGroupName: 'rg-apim-prod',
  },
  deployers: [{ objectId: '00000000-0000-0000-0000-00000000d003', type: 'ServicePrincipal', description: 'pipeline: apimcert-prod' }],
  // Production tenants are slower to propagate role changes; Microsoft documents up to 10 minutes.
  rbacPropagationWait: '5m',
  certificates: [{ name: 'mtls-backend', key: { keyType: 'RSA', keySize: 3072 }, backend: { url: 'https://backend.contoso.example/api' } }],
  // Production renewals go through a partner's change process: a longer warning.
  expiryWarnings: { daysBeforeExpiry: 45, contacts: [{ email: 'platform@contoso.example', name: 'Platform team' }] },
  tags: { environment: 'prod', workload: 'apimcert' },
  state: { resourceGroupName: 'rg-tfstate', storageAccountName: 'sttfstateapimcert', containerName: 'tfstate' },
  pipeline: { order: 30 },
};

export default prod;
