import type { AzureState, RoleAssignment } from './state';

/**
 * Built-in role definitions the emulator knows (ids and (data)actions from "Azure built-in roles",
 * learn.microsoft.com/azure/role-based-access-control/built-in-roles; Key Vault ones per the
 * research notes, docs-facts §1b). Only what the product's flows exercise.
 */
export const BUILT_IN_ROLES = {
  Owner: { id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', actions: ['*'], notActions: [], dataActions: [] },
  Contributor: {
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    actions: ['*'],
    notActions: ['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write', 'Microsoft.Authorization/elevateAccess/Action'],
    dataActions: [],
  },
  Reader: { id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7', actions: ['*/read'], notActions: [], dataActions: [] },
  'User Access Administrator': {
    id: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    actions: ['*/read', 'Microsoft.Authorization/*'],
    notActions: [],
    dataActions: [],
  },
  'Key Vault Administrator': {
    id: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    actions: ['Microsoft.Authorization/*/read', 'Microsoft.KeyVault/*/read', 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    notActions: [],
    dataActions: ['Microsoft.KeyVault/vaults/*'],
  },
  'Key Vault Certificates Officer': {
    id: 'a4417e6f-fecd-4de8-b567-7b0420556985',
    actions: ['Microsoft.Authorization/*/read', 'Microsoft.KeyVault/vaults/*/read', 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    notActions: [],
    dataActions: ['Microsoft.KeyVault/vaults/certificatecas/*', 'Microsoft.KeyVault/vaults/certificates/*', 'Microsoft.KeyVault/vaults/certificatecontacts/write'],
  },
  'Key Vault Certificate User': {
    id: 'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba',
    actions: [],
    notActions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/certificates/read',
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      'Microsoft.KeyVault/vaults/keys/read',
    ],
  },
  'Key Vault Secrets User': {
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    actions: [],
    notActions: [],
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  },
  'Key Vault Reader': {
    id: '21090545-7ca7-4776-b22c-e363652d74d2',
    actions: ['Microsoft.Authorization/*/read', 'Microsoft.KeyVault/checkNameAvailability/read', 'Microsoft.KeyVault/vaults/*/read', 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    notActions: [],
    dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  },
  'API Management Service Contributor': {
    id: '312a565d-c81f-4fd8-895a-4e21e48d571c',
    actions: ['Microsoft.ApiManagement/service/*', 'Microsoft.Authorization/*/read', 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    notActions: [],
    dataActions: [],
  },
} as const;

export type RoleName = keyof typeof BUILT_IN_ROLES;

/** Azure's action wildcard match: `*` spans any characters (including `/`), case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** True when `scope` is `assigned` or below it (ARM scopes are inherited downwards). */
export function scopeCovers(assigned: string, scope: string): boolean {
  const a = assigned.replace(/\/+$/, '').toLowerCase();
  const s = scope.replace(/\/+$/, '').toLowerCase();
  return a === '' || a === '/' || s === a || s.startsWith(`${a}/`);
}

const roleById = (roleDefinitionId: string) => {
  const guid = roleDefinitionId.split('/').pop()?.toLowerCase();
  return Object.entries(BUILT_IN_ROLES).find(([, role]) => role.id === guid);
};

export interface RbacDecision {
  readonly allowed: boolean;
  /** An assignment that would allow it but has not propagated yet (for the error text and for tests). */
  readonly pending?: RoleAssignment;
}

/** Whether `principalId` may perform `action` (a data action when `data`) at `scope`, now. */
export function authorize(state: AzureState, principalId: string, action: string, scope: string, data: boolean): RbacDecision {
  let pending: RoleAssignment | undefined;
  for (const assignment of state.roleAssignments) {
    if (assignment.principalId !== principalId || !scopeCovers(assignment.scope, scope)) continue;
    const role = roleById(assignment.roleDefinitionId)?.[1];
    if (!role) continue;
    const grants = data
      ? role.dataActions.some((p) => actionMatches(p, action))
      : role.actions.some((p) => actionMatches(p, action)) && !role.notActions.some((p) => actionMatches(p, action));
    if (!grants) continue;
    if (state.now() >= assignment.effectiveAtMs) return { allowed: true };
    pending = assignment;
  }
  return { allowed: false, pending };
}

/** Every assignment of `principalId` that is in effect now. */
export function effectiveAssignments(state: AzureState, principalId: string): RoleAssignment[] {
  return state.roleAssignments.filter((a) => a.principalId === principalId && state.now() >= a.effectiveAtMs);
}
