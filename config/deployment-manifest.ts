import { variableStem } from '../constructs/client-certificate';
import { vaultFirewallOn, type CertificateSourceFormat, type EnvironmentConfig } from './environment-config';

/**
 * What the deployment scripts (pipelines/scripts/, the workstation commands) need to know about a stack
 * that its Terraform JSON does not say plainly: written beside cdk.tf.json as deployment.json, read with jq.
 * Only names and settings from the environment file: no secret, no path.
 */
export interface DeploymentManifest {
  readonly environment: string;
  readonly keyVault: {
    readonly name: string;
    readonly resourceGroupName: string;
    /** Created by this stack: its firewall settings below are the configured ones. */
    readonly created: boolean;
    /**
     * Whether a deployer needs an allowed address to reach the data plane: true or false for a vault
     * created here, null for an existing one (the script asks Azure).
     */
    readonly firewall: boolean | null;
    /** The configured ipRules (a created vault), which the vault-network step keeps present. */
    readonly ipRules: readonly string[];
    readonly privateEndpoint: boolean;
  };
  /**
   * Resource providers the subscription must have registered: the stack sets azurerm's
   * resource_provider_registrations to "none", so the deployer needs no subscription-wide role, and the
   * deployment scripts check these before plan.
   */
  readonly resourceProviders: readonly string[];
  readonly certificates: readonly { readonly name: string; readonly stem: string; readonly source: CertificateSourceFormat }[];
}

export function deploymentManifest(config: EnvironmentConfig): DeploymentManifest {
  const kv = config.keyVault;
  const created = !kv.existing;
  const identity = config.apiManagement.identity;
  const providers = new Set(['Microsoft.KeyVault', 'Microsoft.ApiManagement']);
  if (identity?.type === 'UserAssigned' && !identity.existing) providers.add('Microsoft.ManagedIdentity');
  if (kv.privateEndpoint) providers.add('Microsoft.Network');
  if (config.expiryWarnings?.eventGridWebhookUrl) providers.add('Microsoft.EventGrid');
  return {
    environment: config.name,
    keyVault: {
      name: kv.name,
      resourceGroupName: kv.resourceGroupName ?? config.resourceGroup.name,
      created,
      firewall: created ? vaultFirewallOn(kv) : null,
      ipRules: created ? [...(kv.networkAcls?.ipRules ?? [])] : [],
      privateEndpoint: Boolean(kv.privateEndpoint),
    },
    resourceProviders: [...providers].sort(),
    certificates: config.certificates.map((c) => ({ name: c.name, stem: variableStem(c.name), source: c.format ?? 'pfx' })),
  };
}
