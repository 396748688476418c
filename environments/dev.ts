import type { EnvironmentConfig } from '../config/environment-config';

// Placeholders: replace the zero GUIDs and the 203.0.113.x documentation addresses with your own.
const dev: EnvironmentConfig = {
  name: 'dev',
  location: 'westeurope',
  resourceGroup: { name: 'rg-apimcert-dev' },
  keyVault: {
    name: 'kv-apimcert-dev',
    // Short retention keeps a torn-down dev vault's name free sooner; purge protection stays on.
    softDeleteRetentionDays: 7,
    networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.10'] },
  },
  apiManagement: {
    name: 'apim-apimcert-dev',
    publisherName: 'Contoso Platform Team',
    publisherEmail: 'platform@contoso.example',
    skuName: 'Developer_1',
  },
  // The pipeline's principal and the developers who deploy from a workstation. grantCurrentCaller would
  // flip one assignment between them (and collide with the pipeline's own): it is for personal stacks.
  deployers: [
    { objectId: '00000000-0000-0000-0000-00000000d001', type: 'ServicePrincipal', description: 'pipeline: apimcert-dev' },
    { objectId: '00000000-0000-0000-0000-00000000e001', type: 'Group', description: 'apimcert developers' },
  ],
  certificates: [
    {
      name: 'mtls-backend',
      backend: { url: 'https://backend.dev.contoso.example/api' },
      // No apiPolicy: the stack publishes the policy fragment "client-cert-mtls-backend", and each API that
      // calls this backend includes it in its own policy, which the stack never overwrites.
    },
  ],
  // Key Vault e-mails these contacts before any certificate of the vault expires.
  expiryWarnings: { daysBeforeExpiry: 30, contacts: [{ email: 'platform@contoso.example', name: 'Platform team' }] },
  tags: { environment: 'dev', workload: 'apimcert' },
  state: { resourceGroupName: 'rg-tfstate', storageAccountName: 'sttfstateapimcert', containerName: 'tfstate' },
  // Promotion order in the generated pipelines: dev, then test, then prod.
  pipeline: { order: 10 },
};

export default dev;
