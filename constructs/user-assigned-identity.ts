import { DataAzurermUserAssignedIdentity } from '@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity';
import { UserAssignedIdentity as AzurermUserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct, IConstruct } from 'constructs';
import { validateAzureName, validateRequired } from './validate-props';

/** A user-assigned managed identity, created here or existing. */
export interface IUserAssignedIdentity extends IConstruct {
  /** The identity's Azure resource id, for `identity_ids`. */
  readonly userAssignedIdentityId: string;
  /** The object id of its service principal: what role assignments name. */
  readonly principalId: string;
  /** Its client (application) id: what APIM needs to pick this identity when reading Key Vault. */
  readonly clientId: string;
  /** True when the identity is created in the same apply (its principal may not have replicated yet). */
  readonly isNew: boolean;
}

export interface UserAssignedIdentityProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

export class UserAssignedIdentity extends Construct implements IUserAssignedIdentity {
  /** Refer to an identity that exists already (a data source). */
  static fromExisting(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string }): IUserAssignedIdentity {
    return new ExistingUserAssignedIdentity(scope, id, attrs);
  }

  readonly userAssignedIdentityId: string;
  readonly principalId: string;
  readonly clientId: string;
  readonly isNew = true;

  constructor(scope: Construct, id: string, props: UserAssignedIdentityProps) {
    super(scope, id);
    validateAzureName(this, 'name', 'userAssignedIdentity', props.name);
    const identity = new AzurermUserAssignedIdentity(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    this.userAssignedIdentityId = identity.id;
    this.principalId = identity.principalId;
    this.clientId = identity.clientId;
  }
}

class ExistingUserAssignedIdentity extends Construct implements IUserAssignedIdentity {
  readonly userAssignedIdentityId: string;
  readonly principalId: string;
  readonly clientId: string;
  readonly isNew = false;

  constructor(scope: Construct, id: string, attrs: { name: string; resourceGroupName: string }) {
    super(scope, id);
    validateAzureName(this, 'name', 'userAssignedIdentity', attrs.name);
    validateRequired(this, 'resourceGroupName', attrs.resourceGroupName, 'give the resource group the existing identity is in');
    const identity = new DataAzurermUserAssignedIdentity(this, 'Resource', attrs);
    this.userAssignedIdentityId = identity.id;
    this.principalId = identity.principalId;
    this.clientId = identity.clientId;
  }
}
