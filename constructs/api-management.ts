import { ApiManagement as AzurermApiManagement } from '@cdktf/provider-azurerm/lib/api-management';
import { DataAzurermApiManagement } from '@cdktf/provider-azurerm/lib/data-azurerm-api-management';
import { Construct, IConstruct } from 'constructs';
import { Principal } from './principal';
import { IUserAssignedIdentity } from './user-assigned-identity';
import { validateAzureName, validateRequired, validateValue } from './validate-props';
import { ValueRules } from './value-rules';

/** The identity APIM uses to read Key Vault. */
export interface ApiManagementKeyVaultIdentity {
  /** What role assignments are made to (always a service principal). */
  readonly principal: Principal;
  /**
   * Set for a user-assigned identity: APIM must be told which of its identities to use
   * (`key_vault_identity_client_id`). Undefined for the system-assigned identity.
   */
  readonly clientId?: string;
  /** The identity is created in this apply, so Entra ID may not know it yet. */
  readonly isNew: boolean;
}

/** An API Management instance, created here or existing. */
export interface IApiManagement extends IConstruct {
  readonly apiManagementName: string;
  readonly resourceGroupName: string;
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<name>` */
  readonly apiManagementId: string;
  readonly keyVaultIdentity: ApiManagementKeyVaultIdentity;
}

export interface ApiManagementProps {
  /** Globally unique (it becomes `<name>.azure-api.net`): 1-50 letters, digits and hyphens, starting with a letter. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Shown in the developer portal and on Azure's notifications. */
  readonly publisherName: string;
  /** Receives Azure's notifications about the instance. */
  readonly publisherEmail: string;
  /**
   * `<tier>_<capacity>`. Creating a classic tier (Developer, Basic, Standard, Premium) takes 30-45
   * minutes; the v2 tiers and Consumption take a few.
   * @default "Developer_1" (no SLA: for non-production)
   */
  readonly skuName?: string;
  /**
   * A user-assigned identity to read Key Vault with. It outlives the APIM instance, so role assignments
   * can be made before APIM exists.
   * @default - the system-assigned identity
   */
  readonly userAssignedIdentity?: IUserAssignedIdentity;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** An API Management instance with a managed identity that Key Vault grants are made to. */
export class ApiManagement extends Construct implements IApiManagement {
  /**
   * Refer to an instance that exists already (a data source). Its system-assigned identity is used
   * unless a user-assigned identity is given.
   */
  static fromExisting(
    scope: Construct,
    id: string,
    attrs: { name: string; resourceGroupName: string; userAssignedIdentity?: IUserAssignedIdentity },
  ): IApiManagement {
    return new ExistingApiManagement(scope, id, attrs);
  }

  readonly apiManagementName: string;
  readonly resourceGroupName: string;
  readonly apiManagementId: string;
  readonly keyVaultIdentity: ApiManagementKeyVaultIdentity;
  readonly resource: AzurermApiManagement;

  constructor(scope: Construct, id: string, props: ApiManagementProps) {
    super(scope, id);
    validateAzureName(this, 'name', 'apiManagement', props.name);
    validateRequired(this, 'publisherName', props.publisherName, 'set the organisation name shown in the developer portal');
    validateRequired(this, 'publisherEmail', props.publisherEmail, 'set the address that receives Azure\'s notifications about this instance');
    validateValue(this, 'publisherEmail', props.publisherEmail, ValueRules.email);
    const skuName = props.skuName ?? 'Developer_1';
    validateValue(this, 'skuName', skuName, ValueRules.apimSku);

    const uai = props.userAssignedIdentity;
    this.resource = new AzurermApiManagement(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      publisherName: props.publisherName,
      publisherEmail: props.publisherEmail,
      skuName,
      identity: uai ? { type: 'UserAssigned', identityIds: [uai.userAssignedIdentityId] } : { type: 'SystemAssigned' },
      tags: props.tags,
    });
    this.apiManagementName = this.resource.name;
    this.resourceGroupName = props.resourceGroupName;
    this.apiManagementId = this.resource.id;
    this.keyVaultIdentity = keyVaultIdentity(uai, { principalId: this.resource.identity.principalId, isNew: true });
  }
}

class ExistingApiManagement extends Construct implements IApiManagement {
  readonly apiManagementName: string;
  readonly resourceGroupName: string;
  readonly apiManagementId: string;
  readonly keyVaultIdentity: ApiManagementKeyVaultIdentity;

  constructor(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string; userAssignedIdentity?: IUserAssignedIdentity }) {
    super(scope, id);
    validateAzureName(this, 'name', 'apiManagement', attrs.name);
    validateRequired(this, 'resourceGroupName', attrs.resourceGroupName, 'give the resource group the existing instance is in');
    const uai = attrs.userAssignedIdentity;
    const label = `API Management instance "${attrs.name}"`;
    // This stack cannot change an instance it does not own: the identity it grants Key Vault access to
    // must already be attached, or every grant and wait is spent on an identity APIM never uses.
    const identityAttached = uai
      ? {
          condition: `\${contains([for id in flatten(self.identity[*].identity_ids) : lower(id)], lower(${uai.userAssignedIdentityId}))}`,
          errorMessage: `${label} does not have the user-assigned identity this stack grants Key Vault access to (apiManagement.identity) attached, so it could never read Key Vault with it. Fix: have the instance's owners attach that identity (identity type "UserAssigned" or "SystemAssigned, UserAssigned" listing it), or read Key Vault with the instance's system-assigned identity instead.`,
        }
      : {
          condition: '${anytrue([for i in self.identity : strcontains(i.type, "SystemAssigned")])}',
          errorMessage: `${label} has no system-assigned identity, which this stack grants Key Vault access to. Fix: turn on the instance's system-assigned identity (its owners' configuration, or az apim update --name <name> --resource-group <rg> --set identity.type=SystemAssigned), or name its user-assigned identity in apiManagement.identity.`,
        };
    const apim = new DataAzurermApiManagement(this, 'Resource', {
      name: attrs.name,
      resourceGroupName: attrs.resourceGroupName,
      lifecycle: { postcondition: [identityAttached] },
    });
    this.apiManagementName = attrs.name;
    this.resourceGroupName = attrs.resourceGroupName;
    this.apiManagementId = apim.id;
    this.keyVaultIdentity = keyVaultIdentity(uai, { principalId: apim.identity.get(0).principalId, isNew: false });
  }
}

/** The user-assigned identity when there is one, else the instance's system-assigned one. */
function keyVaultIdentity(
  uai: IUserAssignedIdentity | undefined,
  systemAssigned: { principalId: string; isNew: boolean },
): ApiManagementKeyVaultIdentity {
  return uai
    ? { principal: { objectId: uai.principalId, principalType: 'ServicePrincipal' }, clientId: uai.clientId, isNew: uai.isNew }
    : { principal: { objectId: systemAssigned.principalId, principalType: 'ServicePrincipal' }, isNew: systemAssigned.isNew };
}
