import { deploymentManifest } from '../config/deployment-manifest';
import { baseEnvironment, synthEnvironment } from './support/stack-fixture';

describe('deployment manifest (deployment.json beside each stack)', () => {
  it('describes a created vault with its firewall, configured rules and the providers to check', () => {
    const manifest = deploymentManifest({ ...baseEnvironment, keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.10'] } } });
    expect(manifest).toEqual({
      environment: 'unit',
      keyVault: { name: 'kv-unit', resourceGroupName: 'rg-unit', created: true, firewall: true, ipRules: ['203.0.113.10'], privateEndpoint: false },
      resourceProviders: ['Microsoft.ApiManagement', 'Microsoft.KeyVault'],
      certificates: [{ name: 'mtls-backend', stem: 'mtls_backend', source: 'pfx' }],
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
      { name: 'Partner-A', stem: 'partner_a', source: 'pem' },
      { name: 'second', stem: 'second', source: 'pfx' },
    ]);
  });
});

describe('resource provider registration', () => {
  it('is off in the provider block: the deployer needs no subscription-wide role, the scripts check the few needed', () => {
    const [provider] = synthEnvironment().tf.provider?.azurerm ?? [];
    expect(provider.resource_provider_registrations).toBe('none');
  });
});
