import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { KeyVault as AzurermKeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { AzureContext } from './azure-context';
import { Principal } from './principal';
import { BuiltInRoles } from './role-definitions';
import { grantRole } from './role-grant';
import { validateAzureName, validateRequired, validateValue } from './validate-props';
import { ValueRules } from './value-rules';

/** A Key Vault, created here or existing: the rest of the code sees only this. */
export interface IKeyVault extends IConstruct {
  /** The vault's Azure resource id: `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly keyVaultId: string;
  readonly keyVaultName: string;
  /** `https://<name>.vault.azure.net/` */
  readonly keyVaultUri: string;
  /** Let a principal import, update and delete certificates in this vault (Key Vault Certificates Officer). */
  grantCertificateImport(grantee: Principal, id: string): RoleAssignment;
  /**
   * Let a principal read one secret (Key Vault Secrets User), scoped to `<vault id>/secrets/<name>`,
   * not to the whole vault. `secretName` should be a reference to the resource that creates the
   * secret, so the assignment is made after the secret exists.
   */
  grantSecretRead(grantee: Principal, secretName: string, id: string, options?: { principalIsNew?: boolean }): RoleAssignment;
}

abstract class KeyVaultBase extends Construct implements IKeyVault {
  abstract readonly keyVaultId: string;
  abstract readonly keyVaultName: string;
  abstract readonly keyVaultUri: string;

  grantCertificateImport(grantee: Principal, id: string): RoleAssignment {
    return grantRole(this, id, { scope: this.keyVaultId, role: BuiltInRoles.keyVaultCertificatesOfficer, principal: grantee });
  }

  grantSecretRead(grantee: Principal, secretName: string, id: string, options: { principalIsNew?: boolean } = {}): RoleAssignment {
    return grantRole(this, id, {
      scope: `${this.keyVaultId}/secrets/${secretName}`,
      role: BuiltInRoles.keyVaultSecretsUser,
      principal: grantee,
      principalIsNew: options.principalIsNew,
    });
  }
}

export interface KeyVaultNetworkAcls {
  /** What happens to traffic no rule matches. */
  readonly defaultAction: 'Allow' | 'Deny';
  /**
   * Public IPv4 addresses or CIDR ranges allowed through: a workstation's address, a pipeline's
   * agents' egress range. Whoever imports the certificate must be inside them.
   * @default - none
   */
  readonly ipRules?: readonly string[];
  /**
   * Lets trusted Microsoft services through the firewall. API Management is one: with "AzureServices"
   * APIM reads the certificate even when the default action is Deny.
   * @default "AzureServices"
   */
  readonly bypass?: 'AzureServices' | 'None';
}

export interface KeyVaultProps {
  /** Globally unique, 3-24 letters, digits and hyphens, starting with a letter. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /**
   * @default - the tenant of the credentials Terraform runs with
   */
  readonly tenantId?: string;
  /** @default "standard" */
  readonly skuName?: 'standard' | 'premium';
  /**
   * Purge protection stops anyone (including an attacker with Owner) from destroying the vault's
   * contents for good before the retention period ends. It cannot be turned off again.
   * @default true
   */
  readonly purgeProtectionEnabled?: boolean;
  /** @default 90 (days, the maximum) */
  readonly softDeleteRetentionDays?: number;
  /** @default true: reachable over the internet, filtered by `networkAcls` */
  readonly publicNetworkAccessEnabled?: boolean;
  /** @default - deny all but trusted Azure services: { defaultAction: "Deny", bypass: "AzureServices" } */
  readonly networkAcls?: KeyVaultNetworkAcls;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A Key Vault with secure defaults: Azure RBAC authorization (no access policies), purge protection,
 * 90 days of soft delete, and a firewall that denies all but trusted Azure services.
 */
export class KeyVault extends KeyVaultBase {
  /** Refer to a vault that exists already (a data source: nothing is created or changed). */
  static fromExisting(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string }): IKeyVault {
    return new ExistingKeyVault(scope, id, attrs);
  }

  readonly keyVaultId: string;
  readonly keyVaultName: string;
  readonly keyVaultUri: string;
  readonly resource: AzurermKeyVault;

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    validateAzureName(this, 'name', 'keyVault', props.name);
    const retention = props.softDeleteRetentionDays ?? 90;
    const acls: KeyVaultNetworkAcls = props.networkAcls ?? { defaultAction: 'Deny' };
    validateValue(this, 'softDeleteRetentionDays', retention, ValueRules.softDeleteRetentionDays);
    acls.ipRules?.forEach((ip, i) => validateValue(this, `networkAcls.ipRules[${i}]`, ip, ValueRules.ipRule));

    this.resource = new AzurermKeyVault(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId ?? AzureContext.of(this).tenantId,
      skuName: props.skuName ?? 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: props.purgeProtectionEnabled ?? true,
      softDeleteRetentionDays: retention,
      publicNetworkAccessEnabled: props.publicNetworkAccessEnabled ?? true,
      networkAcls: {
        defaultAction: acls.defaultAction,
        bypass: acls.bypass ?? 'AzureServices',
        ipRules: acls.ipRules ? [...acls.ipRules] : undefined,
      },
      tags: props.tags,
    });
    this.keyVaultId = this.resource.id;
    this.keyVaultName = this.resource.name;
    this.keyVaultUri = this.resource.vaultUri;
  }
}

class ExistingKeyVault extends KeyVaultBase {
  readonly keyVaultId: string;
  readonly keyVaultName: string;
  readonly keyVaultUri: string;

  constructor(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string }) {
    super(scope, id);
    validateAzureName(this, 'name', 'keyVault', attrs.name);
    validateRequired(this, 'resourceGroupName', attrs.resourceGroupName, 'give the resource group the existing vault is in');
    const vault = new DataAzurermKeyVault(this, 'Resource', { name: attrs.name, resourceGroupName: attrs.resourceGroupName });
    this.keyVaultId = vault.id;
    // The literal name, not the data source's attribute: it is known at synth time, so names built
    // from it can be validated, and nothing waits on the read.
    this.keyVaultName = Token.isUnresolved(attrs.name) ? vault.name : attrs.name;
    this.keyVaultUri = vault.vaultUri;
  }
}
