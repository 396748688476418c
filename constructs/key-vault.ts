import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { KeyVault as AzurermKeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic';
import { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import { KeyVaultCertificateContacts } from '@cdktf/provider-azurerm/lib/key-vault-certificate-contacts';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ITerraformDependable, Token } from 'cdktf';
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
  /**
   * Whether the vault's firewall is on (default action Deny, or public network access off): true or false
   * for a vault created here, undefined for an existing one, whose settings are only known at plan time.
   */
  readonly firewallEnabled: boolean | undefined;
  /**
   * Declares that API Management reads this vault with a user-assigned identity, which Microsoft does not
   * let through a Key Vault firewall ("Requirements for Key Vault firewall", API Management docs: the
   * system-assigned identity must be used). A vault created here is checked at synth by the security rules
   * (APIM2); an existing vault gets a plan-time postcondition on its network rules.
   */
  requireReachableByUserAssignedIdentity(): void;
  /**
   * Sets the vault's certificate contacts, whom Key Vault e-mails when a certificate's lifetime action
   * (EmailContacts) fires. It replaces the vault's whole contact list, so it is for a vault this stack owns
   * or one whose contacts it is meant to manage. `after`: what must exist first (the deployers' access:
   * contacts are written through the data plane).
   */
  setCertificateContacts(contacts: readonly CertificateContact[], after?: readonly ITerraformDependable[]): KeyVaultCertificateContacts;
  /**
   * Sends Key Vault's CertificateNearExpiry and CertificateExpired events to a webhook, through an Event
   * Grid system topic on the vault.
   */
  notifyCertificateExpiry(webhookUrl: string): EventgridSystemTopicEventSubscription;
  /** Let a principal import, update and delete certificates in this vault (Key Vault Certificates Officer). */
  grantCertificateImport(grantee: Principal, id: string): RoleAssignment;
  /**
   * Let a principal read one secret (Key Vault Secrets User), scoped to `<vault id>/secrets/<name>`,
   * not to the whole vault. `secretName` should be a reference to the resource that creates the
   * secret, so the assignment is made after the secret exists.
   */
  grantSecretRead(grantee: Principal, secretName: string, id: string, options?: { principalIsNew?: boolean }): RoleAssignment;
}

/** Someone Key Vault e-mails about certificates (its certificate contacts). */
export interface CertificateContact {
  readonly email: string;
  /** @default - none */
  readonly name?: string;
  /** @default - none */
  readonly phone?: string;
}

abstract class KeyVaultBase extends Construct implements IKeyVault {
  abstract readonly keyVaultId: string;
  abstract readonly keyVaultName: string;
  abstract readonly keyVaultUri: string;
  abstract readonly firewallEnabled: boolean | undefined;
  abstract requireReachableByUserAssignedIdentity(): void;
  /** Where an Event Grid system topic on this vault goes: the vault's own region and resource group. */
  protected abstract readonly placement: { location: string; resourceGroupName: string };

  setCertificateContacts(contacts: readonly CertificateContact[], after: readonly ITerraformDependable[] = []): KeyVaultCertificateContacts {
    contacts.forEach((c, i) => validateValue(this, `contacts[${i}].email`, c.email, ValueRules.email));
    return new KeyVaultCertificateContacts(this, 'CertificateContacts', {
      keyVaultId: this.keyVaultId,
      contact: contacts.map((c) => ({ email: c.email, name: c.name, phone: c.phone })),
      dependsOn: after.length ? [...after] : undefined,
    });
  }

  notifyCertificateExpiry(webhookUrl: string): EventgridSystemTopicEventSubscription {
    validateValue(this, 'webhookUrl', webhookUrl, ValueRules.httpsUrl);
    const topic = new EventgridSystemTopic(this, 'EventTopic', {
      name: `evgt-${this.keyVaultName}`,
      resourceGroupName: this.placement.resourceGroupName,
      location: this.placement.location,
      sourceResourceId: this.keyVaultId,
      topicType: 'Microsoft.KeyVault.vaults',
    });
    return new EventgridSystemTopicEventSubscription(this, 'CertificateExpiryEvents', {
      name: 'certificate-expiry',
      systemTopic: topic.name,
      resourceGroupName: topic.resourceGroupName,
      includedEventTypes: ['Microsoft.KeyVault.CertificateNearExpiry', 'Microsoft.KeyVault.CertificateExpired'],
      webhookEndpoint: { url: webhookUrl },
    });
  }

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
   * Lets trusted Microsoft services through the firewall. API Management is one, for control-plane reads
   * such as certificates, and only with its system-assigned identity: a user-assigned identity cannot pass
   * a Key Vault firewall at all (API Management docs, "Requirements for Key Vault firewall").
   * @default "AzureServices"
   */
  readonly bypass?: 'AzureServices' | 'None';
}

/** A private endpoint for the vault, for deployers (self-hosted agents) and readers on a private network. */
export interface KeyVaultPrivateEndpointProps {
  /** Resource id of the subnet the endpoint's network interface goes into. */
  readonly subnetId: string;
  /** Resource id of the `privatelink.vaultcore.azure.net` private DNS zone the vault's record is written to. */
  readonly privateDnsZoneId: string;
  /** @default "pe-<vault name>" */
  readonly name?: string;
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
  /**
   * `ip_rules` are written when the vault is created; after that Terraform ignores changes to them. A
   * deployment agent without a fixed address adds its own address for the length of a plan or apply
   * (operations/vault-firewall.ts) and removes it afterwards; if Terraform owned the list it would
   * remove that rule in the middle of the apply that needs it, and show it as drift on every plan. The
   * same step makes the vault's rules the configured ones in the approved apply, so a rule added to or
   * removed from the configuration later still arrives.
   * @default true
   */
  readonly ipRulesManagedOutsideTerraform?: boolean;
  /** @default - no private endpoint */
  readonly privateEndpoint?: KeyVaultPrivateEndpointProps;
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
  readonly firewallEnabled: boolean;
  readonly resource: AzurermKeyVault;
  readonly privateEndpoint?: PrivateEndpoint;
  protected readonly placement: { location: string; resourceGroupName: string };

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    validateAzureName(this, 'name', 'keyVault', props.name);
    const retention = props.softDeleteRetentionDays ?? 90;
    const acls: KeyVaultNetworkAcls = props.networkAcls ?? { defaultAction: 'Deny' };
    validateValue(this, 'softDeleteRetentionDays', retention, ValueRules.softDeleteRetentionDays);
    acls.ipRules?.forEach((ip, i) => {
      validateValue(this, `networkAcls.ipRules[${i}]`, ip, ValueRules.ipRule);
      validateValue(this, `networkAcls.ipRules[${i}]`, ip, ValueRules.ipRuleNetworkAddress);
    });
    const publicNetworkAccessEnabled = props.publicNetworkAccessEnabled ?? true;
    this.firewallEnabled = acls.defaultAction === 'Deny' || !publicNetworkAccessEnabled;

    this.resource = new AzurermKeyVault(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId ?? AzureContext.of(this).tenantId,
      skuName: props.skuName ?? 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: props.purgeProtectionEnabled ?? true,
      softDeleteRetentionDays: retention,
      publicNetworkAccessEnabled,
      networkAcls: {
        defaultAction: acls.defaultAction,
        bypass: acls.bypass ?? 'AzureServices',
        ipRules: acls.ipRules ? [...acls.ipRules] : undefined,
      },
      tags: props.tags,
      lifecycle: props.ipRulesManagedOutsideTerraform === false ? undefined : { ignoreChanges: ['network_acls[0].ip_rules'] },
    });
    this.keyVaultId = this.resource.id;
    this.keyVaultName = this.resource.name;
    this.keyVaultUri = this.resource.vaultUri;
    this.placement = { location: props.location, resourceGroupName: props.resourceGroupName };
    if (props.privateEndpoint) this.privateEndpoint = this.addPrivateEndpoint(props, props.privateEndpoint);
  }

  /** Checked at synth on the stack's JSON by security rule APIM2, where the vault's settings are literal. */
  requireReachableByUserAssignedIdentity(): void {}

  private addPrivateEndpoint(props: KeyVaultProps, endpoint: KeyVaultPrivateEndpointProps): PrivateEndpoint {
    validateValue(this, 'privateEndpoint.subnetId', endpoint.subnetId, ValueRules.subnetId);
    validateValue(this, 'privateEndpoint.privateDnsZoneId', endpoint.privateDnsZoneId, ValueRules.vaultPrivateDnsZoneId);
    const name = endpoint.name ?? `pe-${props.name}`;
    return new PrivateEndpoint(this, 'PrivateEndpoint', {
      name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      subnetId: endpoint.subnetId,
      privateServiceConnection: {
        name,
        privateConnectionResourceId: this.resource.id,
        // "vault" is Key Vault's only private-link sub-resource.
        subresourceNames: ['vault'],
        isManualConnection: false,
      },
      // Without the zone record the vault's name keeps resolving to its public address.
      privateDnsZoneGroup: { name: 'vault', privateDnsZoneIds: [endpoint.privateDnsZoneId] },
      tags: props.tags,
    });
  }
}

class ExistingKeyVault extends KeyVaultBase {
  readonly keyVaultId: string;
  readonly keyVaultName: string;
  readonly keyVaultUri: string;
  readonly firewallEnabled = undefined;
  protected readonly placement: { location: string; resourceGroupName: string };
  private readonly vault: DataAzurermKeyVault;
  private readonly label: string;

  constructor(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string }) {
    super(scope, id);
    validateAzureName(this, 'name', 'keyVault', attrs.name);
    validateRequired(this, 'resourceGroupName', attrs.resourceGroupName, 'give the resource group the existing vault is in');
    this.label = Token.isUnresolved(attrs.name) ? 'The existing Key Vault' : `Key Vault "${attrs.name}"`;
    const vault = new DataAzurermKeyVault(this, 'Resource', {
      name: attrs.name,
      resourceGroupName: attrs.resourceGroupName,
      lifecycle: {
        // Every grant here is an Azure RBAC role assignment: on a vault that still uses access policies
        // they are silently without effect and the import fails with 403 after the RBAC waits.
        postcondition: [
          {
            // "Requirements for Key Vault firewall" (API Management docs): APIM reads through trusted-service connectivity.
            // == / != rather than the bare attributes: the data source leaves them null when Azure does not
            // return them, and a null condition would fail with Terraform's generic error, not this message.
            condition: '${!(self.public_network_access_enabled == false || anytrue([for acl in self.network_acls : acl.default_action == "Deny"])) || alltrue([for acl in self.network_acls : acl.bypass == "AzureServices"])}',
            errorMessage: `${this.label} has its firewall on without letting trusted Microsoft services through (bypass is not "AzureServices"), so API Management cannot read certificates from it. Fix: allow trusted Microsoft services on the vault (az keyvault update --bypass AzureServices), or give APIM a private network path to it.`,
          },
          {
            condition: '${self.rbac_authorization_enabled == true}',
            errorMessage: `${this.label} uses access policies, not Azure RBAC: the role assignments this stack makes would have no effect and the import would fail with 403 (Forbidden). Fix: switch the vault to the Azure RBAC permission model (az keyvault update --enable-rbac-authorization true, after granting the roles its access policies gave), or use a vault created by this stack.`,
          },
        ],
      },
    });
    this.vault = vault;
    this.placement = { location: vault.location, resourceGroupName: attrs.resourceGroupName };
    this.keyVaultId = vault.id;
    // The literal name, not the data source's attribute: it is known at synth time, so names built
    // from it can be validated, and nothing waits on the read.
    this.keyVaultName = Token.isUnresolved(attrs.name) ? vault.name : attrs.name;
    this.keyVaultUri = vault.vaultUri;
  }

  requireReachableByUserAssignedIdentity(): void {
    const postconditions = this.vault.lifecycle?.postcondition ?? [];
    if (postconditions.some((p) => p.condition === FIREWALL_OFF)) return;
    this.vault.lifecycle = {
      ...this.vault.lifecycle,
      postcondition: [
        ...postconditions,
        {
          condition: FIREWALL_OFF,
          errorMessage: `${this.label} has its firewall on (public network access disabled, or default action Deny), and API Management reads it with a user-assigned identity, which a Key Vault firewall never lets through (API Management docs, "Requirements for Key Vault firewall"). Fix: let APIM read the vault with its system-assigned identity (apiManagement.identity: { type: "SystemAssigned" }), or turn the vault's firewall off (default action Allow), or give APIM a private network path to the vault.`,
        },
      ],
    };
  }
}

/** The vault's firewall lets any address through: public access on and default action Allow. */
const FIREWALL_OFF = '${self.public_network_access_enabled != false && alltrue([for acl in self.network_acls : acl.default_action == "Allow"])}';
