import { variableStem } from '../constructs/certificate-names';
import { vaultFirewallOn, type CertificateConfig, type CertificateSourceFormat, type EnvironmentConfig } from './environment-config';

/**
 * What the operational steps (operations/, run by the pipelines and the workstation commands) need to
 * know about a stack that its Terraform JSON does not say plainly: written beside cdk.tf.json as
 * deployment.json, and read back shape-checked (operations/stack-manifest.ts). Only names and settings
 * from the environment file: no secret, no path.
 */
export interface DeploymentManifest {
  readonly environment: string;
  /**
   * The subscription the stack deploys into, when the environment names one: every az call of the steps
   * names it (az's default subscription is whatever the login left selected). Null: the login's own.
   */
  readonly subscriptionId: string | null;
  readonly keyVault: {
    readonly name: string;
    readonly resourceGroupName: string;
    /** Created by this stack: its firewall settings below are the configured ones. */
    readonly created: boolean;
    /**
     * Whether a deployer needs an allowed address to reach the data plane: true or false for a vault
     * created here, null for an existing one (the step asks Azure).
     */
    readonly firewall: boolean | null;
    /**
     * The configured ipRules of a vault created here: the apply converges the vault's rules to these
     * (the stack ignores later changes to the list, see constructs/key-vault.ts). Empty for an existing vault.
     */
    readonly ipRules: readonly string[];
    readonly privateEndpoint: boolean;
  };
  /** The API Management instance the certificates are registered in: what the APIM refresh and the report read. */
  readonly apiManagement: {
    readonly name: string;
    readonly resourceGroupName: string;
  };
  /**
   * Resource providers the subscription must have registered: the stack sets azurerm's
   * resource_provider_registrations to "none", so the deployer needs no subscription-wide role, and the
   * steps check these before plan.
   */
  readonly resourceProviders: readonly string[];
  readonly certificates: readonly ManifestCertificate[];
  /** Days before expiry that Key Vault warns and the expiry report fails (expiryWarnings.daysBeforeExpiry). */
  readonly expiryWarnDays: number;
}

export interface ManifestCertificate {
  readonly name: string;
  readonly stem: string;
  readonly source: CertificateSourceFormat;
  /** The key the certificate policy declares: "RSA 2048", "EC P-256". */
  readonly key: string;
  /** Set when the environment accepts an EC key for APIM, with its reason (docs/constructs.md, "EC keys"). */
  readonly ecKeyReason?: string;
  /** The APIM backend that presents the certificate by thumbprint, when there is one. */
  readonly backend?: string;
}

/** "RSA 2048" or "EC P-256": how a key is named everywhere a person compares two of them. */
export function declaredKey(certificate: CertificateConfig): string {
  const key = certificate.key ?? { keyType: 'RSA' as const, keySize: 2048 as const };
  return key.keyType === 'EC' ? `EC ${key.curve}` : `RSA ${key.keySize ?? 2048}`;
}

export const DEFAULT_EXPIRY_WARN_DAYS = 30;

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
    subscriptionId: config.subscriptionId ?? null,
    keyVault: {
      name: kv.name,
      resourceGroupName: kv.resourceGroupName ?? config.resourceGroup.name,
      created,
      firewall: created ? vaultFirewallOn(kv) : null,
      ipRules: created ? [...(kv.networkAcls?.ipRules ?? [])] : [],
      privateEndpoint: Boolean(kv.privateEndpoint),
    },
    apiManagement: { name: config.apiManagement.name, resourceGroupName: config.apiManagement.resourceGroupName ?? config.resourceGroup.name },
    resourceProviders: [...providers].sort(),
    certificates: config.certificates.map((c) => ({
      name: c.name,
      stem: variableStem(c.name),
      source: c.format ?? 'pfx',
      key: declaredKey(c),
      ...(c.key?.keyType === 'EC' && c.key.acceptEcKeyRisk ? { ecKeyReason: c.key.acceptEcKeyRisk } : {}),
      ...(c.backend ? { backend: c.backend.name ?? c.name } : {}),
    })),
    expiryWarnDays: config.expiryWarnings?.daysBeforeExpiry ?? DEFAULT_EXPIRY_WARN_DAYS,
  };
}
