import type { EnvironmentConfig } from '../../config/environment-config';
import type { EnvironmentFile } from '../../pipelines/generator';

/**
 * Three made-up environments for the pipeline generator, none of them a shipped one, listed out of
 * promotion order:
 *  - sandbox: no pipeline settings at all (every name by convention), everything created by the stack;
 *  - qa-eu:   order 5 (deploys first), existing resource group and APIM, and every override there is;
 *  - live:    order 100 like sandbox (so by name, before it), existing vault, some overrides.
 */
const sandbox: EnvironmentConfig = {
  name: 'sandbox',
  location: 'northeurope',
  resourceGroup: { name: 'rg-fixture-sandbox' },
  keyVault: { name: 'kv-fixture-sandbox', networkAcls: { defaultAction: 'Deny', ipRules: ['198.51.100.10'] } },
  apiManagement: { name: 'apim-fixture-sandbox', publisherName: 'Fixture', publisherEmail: 'fixture@example.org', skuName: 'Developer_1' },
  deployers: [{ objectId: '11111111-2222-3333-4444-555555555501', type: 'ServicePrincipal' }],
  certificates: [{ name: 'orders-api', backend: { url: 'https://orders.sandbox.example.org' } }],
  state: { resourceGroupName: 'rg-fixture-state', storageAccountName: 'stfixturestate' },
};

const qaEu: EnvironmentConfig = {
  name: 'qa-eu',
  location: 'westeurope',
  resourceGroup: { name: 'rg-fixture-qa', existing: true },
  // The Managed DevOps Pool's egress: its agents need no temporary rule (agentNetworkAccess: false below).
  keyVault: { name: 'kv-fixture-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['20.50.60.64/27'] } },
  apiManagement: { name: 'apim-platform-qa', existing: true, resourceGroupName: 'rg-platform-qa' },
  deployers: [{ objectId: '11111111-2222-3333-4444-555555555502', type: 'ServicePrincipal' }],
  certificates: [
    { name: 'mtls-backend', secureFile: 'shared-mtls (qa).pfx', passwordVariable: 'MTLS_PASSWORD', githubSecretPrefix: 'QA_MTLS' },
    { name: 'Partner-Feed', format: 'pem' },
  ],
  state: { resourceGroupName: 'rg-fixture-state', storageAccountName: 'stfixturestate' },
  pipeline: {
    order: 5,
    azureDevOps: {
      serviceConnection: 'Contoso QA (federated)',
      serviceConnectionId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      variableGroup: 'apim-qa-secrets',
      environment: 'qa approvals',
      pool: { name: 'mdp-apimcert' },
      agentNetworkAccess: false,
    },
    github: { environment: 'qa-approved', planEnvironment: 'qa-eu-planning', runsOn: 'self-hosted-eu', agentNetworkAccess: false },
  },
};

const live: EnvironmentConfig = {
  name: 'live',
  location: 'swedencentral',
  resourceGroup: { name: 'rg-fixture-live', existing: true },
  keyVault: { name: 'kv-platform-live', existing: true, resourceGroupName: 'rg-platform-live' },
  apiManagement: { name: 'apim-fixture-live', publisherName: 'Fixture', publisherEmail: 'fixture@example.org', skuName: 'StandardV2_1' },
  deployers: [{ objectId: '11111111-2222-3333-4444-555555555503', type: 'ServicePrincipal' }],
  certificates: [
    { name: 'partner-feed', format: 'pem', githubSecretPrefix: 'LIVE_PARTNER', secureFile: 'live-partner.pem' },
    { name: 'mtls-backend', key: { keyType: 'RSA', keySize: 3072 } },
  ],
  state: { resourceGroupName: 'rg-fixture-state', storageAccountName: 'stfixturestate' },
  pipeline: { order: 100, azureDevOps: { environment: 'Production approvals', pool: { vmImage: 'ubuntu-22.04' } } },
};

export const FIXTURE_ENVIRONMENTS: readonly EnvironmentFile[] = [sandbox, live, qaEu].map((config) => ({ file: `environments/${config.name}.ts`, config }));

/** The promotion order the fixtures must come out in. */
export const FIXTURE_ORDER = ['qa-eu', 'live', 'sandbox'];

/** One fixture environment, changed: for the tests of settings the generator refuses. */
export function fixtureWith(name: string, change: (config: any) => void): EnvironmentFile[] {
  return FIXTURE_ENVIRONMENTS.map(({ file, config }) => {
    if (config.name !== name) return { file, config };
    const copy = structuredClone(config) as any;
    change(copy);
    return { file, config: copy };
  });
}
