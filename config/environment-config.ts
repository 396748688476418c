import type { PrincipalType } from '../constructs/principal';
import type { PolicySuppression } from '../policies/check-policies';

/**
 * One environment: everything that differs between dev, test and prod, as plain data. Each file in
 * environments/ exports one of these; `loadEnvironments` validates them all before anything is built.
 *
 * Azure names follow the Cloud Adoption Framework abbreviations: rg-, kv-, apim-, id-.
 */
export interface EnvironmentConfig {
  /** The stack's name: `cdktf.out/stacks/<name>`, `npm run synth -- <name>`. Lowercase letters, digits, hyphens. */
  readonly name: string;
  /**
   * The subscription to deploy into.
   * @default - ARM_SUBSCRIPTION_ID, or the `az login` default subscription
   */
  readonly subscriptionId?: string;
  /**
   * The Entra ID tenant of the Key Vault.
   * @default - the tenant of the credentials Terraform runs with
   */
  readonly tenantId?: string;
  /** Azure region, e.g. "westeurope". */
  readonly location: string;
  readonly resourceGroup: ResourceGroupConfig;
  readonly keyVault: KeyVaultConfig;
  readonly apiManagement: ApiManagementConfig;
  /**
   * Who applies this stack and so imports the certificates: each gets Key Vault Certificates Officer
   * on the vault. List the pipeline's service principal and, for personal environments, people.
   */
  readonly deployers: readonly DeployerConfig[];
  /**
   * Also grant whoever runs Terraform (azurerm_client_config). Handy for a personal environment; leave
   * it off where a pipeline and people both apply, or the assignment flips between them.
   * @default false
   */
  readonly grantCurrentCaller?: boolean;
  /**
   * How long to wait for a new role assignment to take effect before using it ("120s", "3m").
   * @default "120s"
   */
  readonly rbacPropagationWait?: string;
  readonly certificates: readonly CertificateConfig[];
  /** @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Remote state in an Azure Storage account (Entra ID auth, no access keys, blob lease locking).
   * @default - local state (terraform.<name>.tfstate), or whatever `terraform init -backend-config` supplies
   */
  readonly state?: RemoteStateConfig;
  /**
   * Security rules (policies/) this environment knowingly breaks, each with the reason. The reason is
   * printed whenever the rule would have fired.
   * @default - none: every rule applies
   */
  readonly policySuppressions?: readonly PolicySuppression[];
}

export interface ResourceGroupConfig {
  readonly name: string;
  /** @default false: the group is created by this stack */
  readonly existing?: boolean;
}

export interface KeyVaultConfig {
  /** Globally unique, 3-24 characters: "kv-<workload>-<env>". */
  readonly name: string;
  /** @default false: the vault is created by this stack, with secure defaults */
  readonly existing?: boolean;
  /** @default - the environment's resource group */
  readonly resourceGroupName?: string;
  /** @default "standard" */
  readonly skuName?: 'standard' | 'premium';
  /** @default true */
  readonly purgeProtectionEnabled?: boolean;
  /** @default 90 */
  readonly softDeleteRetentionDays?: number;
  /** @default true */
  readonly publicNetworkAccessEnabled?: boolean;
  /**
   * The vault's firewall. With it on (the default), API Management must read the vault with its
   * system-assigned identity: Microsoft lets no user-assigned identity through a Key Vault firewall.
   * Deployers reach it through `ipRules`, the pipeline's temporary agent rule, or a private endpoint.
   * @default { defaultAction: "Deny", bypass: "AzureServices" }
   */
  readonly networkAcls?: {
    readonly defaultAction: 'Allow' | 'Deny';
    /**
     * Public IPv4 addresses or CIDR ranges of whoever imports the certificates. Written at creation; later
     * additions are added by the pipeline's vault-network step (Terraform ignores changes to the list so
     * that it never removes an agent's temporary rule mid-apply).
     */
    readonly ipRules?: readonly string[];
    readonly bypass?: 'AzureServices' | 'None';
  };
  /**
   * A private endpoint for a vault created here, for teams whose agents run in a private network.
   * @default - none
   */
  readonly privateEndpoint?: {
    /** Resource id of the subnet for the endpoint. */
    readonly subnetId: string;
    /** Resource id of the privatelink.vaultcore.azure.net private DNS zone. */
    readonly privateDnsZoneId: string;
    /** @default "pe-<vault name>" */
    readonly name?: string;
  };
}

export interface ApiManagementConfig {
  /** Globally unique, 1-50 characters: "apim-<workload>-<env>". */
  readonly name: string;
  /** @default false: the instance is created by this stack */
  readonly existing?: boolean;
  /** @default - the environment's resource group */
  readonly resourceGroupName?: string;
  /** Required when the instance is created here. */
  readonly publisherName?: string;
  /** Required when the instance is created here. */
  readonly publisherEmail?: string;
  /** @default "Developer_1" */
  readonly skuName?: string;
  /**
   * The identity APIM reads Key Vault with. A user-assigned identity only works against a vault without
   * firewall (API Management docs, "Requirements for Key Vault firewall"); synth (created vault) or plan
   * (existing vault) fails otherwise.
   * @default { type: "SystemAssigned" }
   */
  readonly identity?: ApiManagementIdentityConfig;
}

export type ApiManagementIdentityConfig =
  | { readonly type: 'SystemAssigned' }
  | {
      readonly type: 'UserAssigned';
      /** "id-<workload>-<env>" */
      readonly name: string;
      /** @default false: the identity is created by this stack */
      readonly existing?: boolean;
      /** @default - the environment's resource group */
      readonly resourceGroupName?: string;
    };

export interface DeployerConfig {
  /** The principal's object id (for a service principal: the enterprise application's object id). */
  readonly objectId: string;
  readonly type: PrincipalType;
  /** Who this is, for people reading the role assignment: "pipeline ado-prod", "jane@contoso.com". */
  readonly description?: string;
}

/** The file a certificate arrives as. Key Vault always stores a PFX (PKCS#12), the only type APIM reads. */
export type CertificateSourceFormat = 'pfx' | 'pem';

export interface CertificateConfig {
  /** Name in Key Vault and APIM: letters, digits, hyphens, starting with a letter. */
  readonly name: string;
  /**
   * "pfx": a PKCS#12 file with its password (TF_VAR_<stem>_pfx_path, TF_VAR_<stem>_pfx_password).
   * "pem": certificate chain and unencrypted PKCS#8 key in one file (PEM_FILE_<stem>), which the
   * workstation commands and the pipelines convert to a PFX with a one-time password before Terraform runs.
   * @default "pfx"
   */
  readonly format?: CertificateSourceFormat;
  /** @default { keyType: "RSA", keySize: 2048 } */
  readonly key?:
    | { readonly keyType: 'RSA'; readonly keySize?: 2048 | 3072 | 4096 }
    | { readonly keyType: 'EC'; readonly curve: 'P-256' | 'P-384' | 'P-521' | 'P-256K' };
  /** @default - no backend */
  readonly backend?: {
    /** @default - the certificate's name */
    readonly name?: string;
    readonly url: string;
    /** @default true */
    readonly validateCertificateChain?: boolean;
    /** @default true */
    readonly validateCertificateName?: boolean;
  };
  /**
   * The policy fragment that presents the certificate; the API's owners add
   * `<include-fragment fragment-id="<name>" />` to their policy.
   * @default { name: "client-cert-<certificate name>" }
   */
  readonly policyFragment?: { readonly name?: string };
  /**
   * Replace this API's whole policy with one that includes the fragment. Deletes everything the API's
   * owners put in its policy, so it needs `replaceWholePolicy: true`, and synth warns (rule APIM3).
   * @default - no API policy
   */
  readonly apiPolicy?: { readonly apiName: string; readonly replaceWholePolicy?: boolean };
}

export interface RemoteStateConfig {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  /** @default "tfstate" */
  readonly containerName?: string;
  /** @default "<environment name>.tfstate" */
  readonly key?: string;
}
