import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import { readStackManifest } from '../operations/stack-manifest';
import { baseEnvironment, synthEnvironment } from './support/stack-fixture';

describe('deployment manifest (deployment.json beside each stack)', () => {
  it('describes a created vault with its firewall, configured rules and the providers to check', () => {
    const manifest = deploymentManifest({ ...baseEnvironment, keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.10'] } } });
    expect(manifest).toEqual({
      environment: 'unit',
      subscriptionId: baseEnvironment.subscriptionId,
      keyVault: { name: 'kv-unit', resourceGroupName: 'rg-unit', created: true, firewall: true, ipRules: ['203.0.113.10'], privateEndpoint: false },
      apiManagement: { name: baseEnvironment.apiManagement.name, resourceGroupName: 'rg-unit' },
      resourceProviders: ['Microsoft.ApiManagement', 'Microsoft.KeyVault'],
      certificates: [{ name: 'mtls-backend', stem: 'mtls_backend', source: 'pfx', key: 'RSA 2048' }],
      expiryWarnDays: 30,
    });
  });

  it('says a created vault open to all needs no agent rule', () => {
    expect(deploymentManifest({ ...baseEnvironment, keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } } }).keyVault.firewall).toBe(false);
    expect(deploymentManifest({ ...baseEnvironment, keyVault: { name: 'kv-unit', publicNetworkAccessEnabled: false, networkAcls: { defaultAction: 'Allow' } } }).keyVault.firewall).toBe(true);
  });

  it('leaves an existing vault\'s firewall to be asked of Azure, in its own resource group', () => {
    const manifest = deploymentManifest({ ...baseEnvironment, keyVault: { name: 'kv-shared', existing: true, resourceGroupName: 'rg-shared', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.10'] } } });
    expect(manifest.keyVault).toEqual({ name: 'kv-shared', resourceGroupName: 'rg-shared', created: false, firewall: null, ipRules: [], privateEndpoint: false });
  });

  it('lists the providers each created resource needs, and the source format of each certificate', () => {
    const manifest = deploymentManifest({
      ...baseEnvironment,
      keyVault: {
        name: 'kv-unit',
        privateEndpoint: {
          subnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s',
          privateDnsZoneId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net',
        },
      },
      apiManagement: { ...baseEnvironment.apiManagement, identity: { type: 'UserAssigned', name: 'id-unit' } },
      certificates: [{ name: 'Partner-A', format: 'pem' }, { name: 'second' }],
      expiryWarnings: { eventGridWebhookUrl: 'https://alerts.example.com/kv' },
    });
    expect(manifest.resourceProviders).toEqual(['Microsoft.ApiManagement', 'Microsoft.EventGrid', 'Microsoft.KeyVault', 'Microsoft.ManagedIdentity', 'Microsoft.Network']);
    expect(manifest.certificates).toEqual([
      { name: 'Partner-A', stem: 'partner_a', source: 'pem', key: 'RSA 2048' },
      { name: 'second', stem: 'second', source: 'pfx', key: 'RSA 2048' },
    ]);
  });
});

describe('what the steps need beyond the providers', () => {
  it("carries the environment's subscription, which every az call names, and its own warning days for the report", () => {
    const manifest = deploymentManifest({ ...baseEnvironment, subscriptionId: '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47', expiryWarnings: { daysBeforeExpiry: 45 } });
    expect([manifest.subscriptionId, manifest.expiryWarnDays]).toEqual(['3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47', 45]);
  });

  it('carries each certificate\'s declared key, the reason an EC key is accepted, and its backend', () => {
    const manifest = deploymentManifest({
      ...baseEnvironment,
      certificates: [
        { name: 'ec-partner', key: { keyType: 'EC', curve: 'P-384', acceptEcKeyRisk: 'the partner issues EC only, renewals are done by hand' } },
        { name: 'rsa', key: { keyType: 'RSA', keySize: 3072 }, backend: { url: 'https://backend.example.org', name: 'orders' } },
      ],
    });
    expect(manifest.certificates).toEqual([
      { name: 'ec-partner', stem: 'ec_partner', source: 'pfx', key: 'EC P-384', ecKeyReason: 'the partner issues EC only, renewals are done by hand' },
      { name: 'rsa', stem: 'rsa', source: 'pfx', key: 'RSA 3072', backend: 'orders' },
    ]);
  });

  it('is read back shape-checked: a manifest changed in the artifact is refused before a value of it reaches az', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    try {
      const write = (value: unknown) => fs.writeFileSync(path.join(dir, 'deployment.json'), JSON.stringify(value));
      write(deploymentManifest(baseEnvironment));
      expect(readStackManifest(dir).environment).toBe('unit');
      write({ ...deploymentManifest(baseEnvironment), keyVault: { ...deploymentManifest(baseEnvironment).keyVault, name: 'kv --query x' } });
      expect(() => readStackManifest(dir)).toThrow(/deployment\.json: keyVault\.name is not what npm run synth writes/);
      fs.writeFileSync(path.join(dir, 'deployment.json'), '{"environment": "unit", ');
      expect(() => readStackManifest(dir)).toThrow(/is not JSON \(.*\)\. Fix: run npm run synth again/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resource provider registration', () => {
  it('is off in the provider block: the deployer needs no subscription-wide role, the scripts check the few needed', () => {
    const [provider] = synthEnvironment().tf.provider?.azurerm ?? [];
    expect(provider.resource_provider_registrations).toBe('none');
  });
});
