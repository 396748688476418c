import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct } from 'constructs';
import { AzureContext } from './azure-context';
import { Principal } from './principal';
import { BuiltInRole } from './role-definitions';

export interface RoleGrantProps {
  /** The Azure resource id the role applies to (a vault, or one secret inside it). */
  readonly scope: string;
  readonly role: BuiltInRole;
  readonly principal: Principal;
  /**
   * A managed identity created in the same apply: skip Entra ID's existence check, which fails for a
   * few minutes after a service principal is created (replication lag).
   * @default false
   */
  readonly principalIsNew?: boolean;
}

/**
 * The one shape every role assignment in this project takes: a built-in role by its subscription-scoped
 * definition id (the form Azure returns, so plans show no spurious diff), an explicit principal type,
 * and a description that says which role and why.
 */
export function grantRole(scope: Construct, id: string, props: RoleGrantProps): RoleAssignment {
  const { principal, role } = props;
  return new RoleAssignment(scope, id, {
    scope: props.scope,
    roleDefinitionId: `${AzureContext.of(scope).subscriptionResourceId}/providers/Microsoft.Authorization/roleDefinitions/${role.roleDefinitionId}`,
    principalId: principal.objectId,
    principalType: principal.principalType,
    skipServicePrincipalAadCheck: props.principalIsNew ? true : undefined,
    description: principal.description ? `${role.name}: ${principal.description}` : role.name,
  });
}
