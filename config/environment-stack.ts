import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { TimeProvider } from '@cdktf/provider-time/lib/provider';
import { AzurermBackend, ITerraformDependable, LocalBackend, TerraformElement, TerraformStack } from 'cdktf';
import { Construct, Node } from 'constructs';
import type { EnvironmentConfig } from './environment-config';
import { ApiManagement, IApiManagement } from '../constructs/api-management';
import { AzureContext } from '../constructs/azure-context';
import { ClientCertificate } from '../constructs/client-certificate';
import { IKeyVault, KeyVault } from '../constructs/key-vault';
import { RbacPropagationWait } from '../constructs/rbac-propagation-wait';
import { UserAssignedIdentity } from '../constructs/user-assigned-identity';

/**
 * One environment's stack: resource group, Key Vault, APIM and every client certificate, with the
 * deployers' access to import and APIM's access to read.
 */
export class EnvironmentStack extends TerraformStack {
  readonly keyVault: IKeyVault;
  readonly apiManagement: IApiManagement;
  readonly certificates: readonly ClientCertificate[];
  /** The environment this stack was built from. */
  readonly config: EnvironmentConfig;
  /** The deployers' Certificates Officer assignments (empty when they exist beforehand). */
  readonly deployerAccess: readonly RoleAssignment[];

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.name);
    this.config = config;

    new AzurermProvider(this, 'azurerm', {
      // Unset: the provider falls back to ARM_SUBSCRIPTION_ID, so one stack serves any pipeline.
      subscriptionId: config.subscriptionId,
      // Storage data-plane calls made by the provider use Entra ID, never account keys (the state
      // backend's own setting is use_azuread_auth, below).
      storageUseAzuread: true,
      // azurerm 4.x registers about 60 resource providers by default ("legacy"), which needs a
      // subscription-wide role and fails for a deployer scoped to resource groups. The few this stack
      // needs are checked before plan instead (deploymentManifest.resourceProviders).
      resourceProviderRegistrations: 'none',
      features: [
        {
          keyVault: [
            {
              // A certificate deleted earlier (or by a destroy) is still soft-deleted under its name;
              // recovering it on import is what the user means, and purging would lose it for good.
              recoverSoftDeletedCertificates: true,
              purgeSoftDeletedCertificatesOnDestroy: false,
              recoverSoftDeletedSecrets: true,
              purgeSoftDeletedSecretsOnDestroy: false,
              recoverSoftDeletedKeys: true,
              purgeSoftDeletedKeysOnDestroy: false,
              recoverSoftDeletedKeyVaults: true,
              purgeSoftDeleteOnDestroy: false,
            },
          ],
          // APIM too is soft-deleted for 48 hours; re-creating one of the same name needs recovery.
          apiManagement: [{ recoverSoftDeleted: true, purgeSoftDeleteOnDestroy: false }],
        },
      ],
    });
    new TimeProvider(this, 'time');

    if (config.state) {
      new AzurermBackend(this, {
        resourceGroupName: config.state.resourceGroupName,
        storageAccountName: config.state.storageAccountName,
        containerName: config.state.containerName ?? 'tfstate',
        key: config.state.key ?? `${config.name}.tfstate`,
        useAzureadAuth: true,
      });
    } else {
      // cdktf's default writes this machine's absolute path into the JSON. Relative to the stack
      // directory (where terraform runs) this is the project root: the same file cdktf would use,
      // outside cdktf.out/ (which every synth replaces), and the same JSON on every machine.
      new LocalBackend(this, { path: `../../../terraform.${config.name}.tfstate` });
    }

    const tags = config.tags ? { ...config.tags } : undefined;
    // A created group is named through its resource, so everything placed in it waits for it.
    const groupName = config.resourceGroup.existing
      ? config.resourceGroup.name
      : new ResourceGroup(this, 'ResourceGroup', { name: config.resourceGroup.name, location: config.location, tags }).name;

    const kv = config.keyVault;
    this.keyVault = kv.existing
      ? KeyVault.fromExisting(this, 'KeyVault', { name: kv.name, resourceGroupName: kv.resourceGroupName ?? groupName })
      : new KeyVault(this, 'KeyVault', {
          name: kv.name,
          resourceGroupName: kv.resourceGroupName ?? groupName,
          location: config.location,
          tenantId: config.tenantId,
          skuName: kv.skuName,
          purgeProtectionEnabled: kv.purgeProtectionEnabled,
          softDeleteRetentionDays: kv.softDeleteRetentionDays,
          publicNetworkAccessEnabled: kv.publicNetworkAccessEnabled,
          networkAcls: kv.networkAcls,
          privateEndpoint: kv.privateEndpoint,
          tags,
        });

    const apim = config.apiManagement;
    const identityConfig = apim.identity?.type === 'UserAssigned' ? apim.identity : undefined;
    const identity = !identityConfig
      ? undefined
      : identityConfig.existing
        ? UserAssignedIdentity.fromExisting(this, 'ApiManagementIdentity', {
            name: identityConfig.name,
            resourceGroupName: identityConfig.resourceGroupName ?? groupName,
          })
        : new UserAssignedIdentity(this, 'ApiManagementIdentity', {
            name: identityConfig.name,
            resourceGroupName: identityConfig.resourceGroupName ?? groupName,
            location: config.location,
            tags,
          });
    this.apiManagement = apim.existing
      ? ApiManagement.fromExisting(this, 'ApiManagement', {
          name: apim.name,
          resourceGroupName: apim.resourceGroupName ?? groupName,
          userAssignedIdentity: identity,
        })
      : new ApiManagement(this, 'ApiManagement', {
          name: apim.name,
          resourceGroupName: apim.resourceGroupName ?? groupName,
          location: config.location,
          publisherName: apim.publisherName as string,
          publisherEmail: apim.publisherEmail as string,
          skuName: apim.skuName,
          userAssignedIdentity: identity,
          tags,
        });

    if (identity) this.keyVault.requireReachableByUserAssignedIdentity();

    const deployers = config.deployers.map((d) => ({ objectId: d.objectId, principalType: d.type, description: d.description }));
    const access = deployers.map((d) => this.keyVault.grantCertificateImport(d, `DeployerAccess-${d.objectId}`));
    if (config.grantCurrentCaller) {
      access.push(this.keyVault.grantCertificateImport({ objectId: AzureContext.of(this).callerObjectId, description: 'current caller' }, 'DeployerAccess-CurrentCaller'));
    }
    this.deployerAccess = access;
    const importAfter: ITerraformDependable[] = access.length
      ? [new RbacPropagationWait(this, 'DeployerAccessPropagation', { roleAssignments: access, duration: config.rbacPropagationWait }).sleep]
      : [];
    // A vault reached through its private endpoint: the first import (and the contacts, written through the
    // data plane too) waits for the endpoint and its DNS zone group, or it would go out to the public
    // address the vault refuses. Nothing else orders them.
    if (this.keyVault instanceof KeyVault && this.keyVault.privateEndpoint) importAfter.push(this.keyVault.privateEndpoint);

    const expiry = config.expiryWarnings;
    if (expiry?.contacts?.length && (!kv.existing || expiry.manageExistingVaultContacts)) {
      // Written through the data plane: after the deployers' access has propagated.
      this.keyVault.setCertificateContacts(expiry.contacts, importAfter);
    }
    if (expiry?.eventGridWebhookUrl) this.keyVault.notifyCertificateExpiry(expiry.eventGridWebhookUrl);

    this.certificates = config.certificates.map(
      (c) =>
        new ClientCertificate(this, `Certificate-${c.name}`, {
          name: c.name,
          keyVault: this.keyVault,
          apiManagement: this.apiManagement,
          key: c.key,
          expiryNotificationDays: expiry?.daysBeforeExpiry,
          importAfter,
          rbacPropagationWait: config.rbacPropagationWait,
          backend: c.backend,
          policyFragment: c.policyFragment,
          apiPolicy: c.apiPolicy && { apiName: c.apiPolicy.apiName, replaceWholePolicy: c.apiPolicy.replaceWholePolicy === true },
        }),
    );
  }

  /**
   * Readable, stable Terraform addresses from the construct path ("KeyVault", "Certificate-mtls_KeyVaultCertificate")
   * instead of cdktf's hashed ones, so plans, `terraform state` commands and *.tftest.hcl files can name
   * resources. Paths are unique and construct ids here never hold "_", so the joined names are unique too.
   */
  allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const parts = node.scopes.slice(node.scopes.indexOf(this) + 1).map((c) => c.node.id).filter((id) => id !== 'Resource');
    return parts.join('_');
  }
}
