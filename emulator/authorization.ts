import { armError } from './arm-errors';
import { json } from './http-exchange';
import { BUILT_IN_ROLES, scopeCovers } from './rbac';
import type { ArmRoute } from './resource-manager';
import type { RoleAssignment } from './state';

/**
 * Microsoft.Authorization role definitions and assignments at any scope (what `az role assignment create
 * --assignee-object-id X --assignee-principal-type ServicePrincipal --role NAME --scope S` calls: a
 * RoleDefinitions_List filtered by roleName, then RoleAssignments_Create). Specs:
 * specification/authorization/resource-manager/Microsoft.Authorization/Authorization/stable/2022-04-01/
 * authorization-RoleDefinitionsCalls.json and authorization-RoleAssignmentsCalls.json.
 * A created assignment is listed at once but enforced only after the emulator's rbacDelayMs.
 */
const DIR = 'specification/authorization/resource-manager/Microsoft.Authorization/Authorization/stable/2022-04-01';
const AUTHZ = '/providers/Microsoft.Authorization';
const scopeOf = (p: Record<string, string>) => p.scope || '/';

const definitionBody = (scope: string, name: string, role: (typeof BUILT_IN_ROLES)[keyof typeof BUILT_IN_ROLES]) => {
  const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? '';
  return {
    id: `${subscription}${AUTHZ}/roleDefinitions/${role.id}`,
    name: role.id,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: name,
      type: 'BuiltInRole',
      description: `${name} (azure-emulator built-in)`,
      assignableScopes: ['/'],
      permissions: [{ actions: role.actions, notActions: role.notActions, dataActions: role.dataActions, notDataActions: [] }],
    },
  };
};

const assignmentBody = (a: RoleAssignment) => ({
  id: `${a.scope === '/' ? '' : a.scope}${AUTHZ}/roleAssignments/${a.name}`,
  name: a.name,
  type: 'Microsoft.Authorization/roleAssignments',
  properties: {
    roleDefinitionId: a.roleDefinitionId,
    principalId: a.principalId,
    principalType: a.principalType,
    scope: a.scope,
    description: a.description ?? null,
    condition: null,
    conditionVersion: null,
    createdBy: null,
    updatedBy: null,
    delegatedManagedIdentityResourceId: null,
    createdOn: new Date(a.createdAtMs).toISOString(),
    updatedOn: new Date(a.createdAtMs).toISOString(),
  },
});

export const ROLE_ASSIGNMENT_ROUTES: readonly ArmRoute[] = [
  {
    method: 'GET',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleDefinitions$/i,
    operation: `${DIR}/authorization-RoleDefinitionsCalls.json#RoleDefinitions_List`,
    handle: ({ params, request }) => {
      const wanted = /roleName eq '([^']+)'/i.exec(request.query.$filter ?? '')?.[1]?.toLowerCase();
      const value = Object.entries(BUILT_IN_ROLES)
        .filter(([name]) => !wanted || name.toLowerCase() === wanted)
        .map(([name, role]) => definitionBody(scopeOf(params), name, role));
      return json(200, { value });
    },
  },
  {
    method: 'PUT',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleAssignments\/(?<name>[^/]+)$/i,
    operation: `${DIR}/authorization-RoleAssignmentsCalls.json#RoleAssignments_Create`,
    permission: (p) => ({ action: 'Microsoft.Authorization/roleAssignments/write', scope: scopeOf(p) }),
    handle: ({ params, state, body }) => {
      const input = body<{ properties?: { roleDefinitionId?: string; principalId?: string; principalType?: string; description?: string } }>()?.properties;
      const guid = input?.roleDefinitionId?.split('/').pop()?.toLowerCase();
      const role = Object.entries(BUILT_IN_ROLES).find(([, r]) => r.id === guid);
      if (!input?.principalId || !role) return armError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${guid}' does not exist.`);
      if (!state.principals.has(input.principalId)) {
        return armError(400, 'PrincipalNotFound', `Principal ${input.principalId.replace(/-/g, '')} does not exist in the directory ${state.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay.`);
      }
      const scope = scopeOf(params);
      const duplicate = state.roleAssignments.find((a) => a.principalId === input.principalId && a.roleDefinitionId.toLowerCase().endsWith(guid!) && a.scope.toLowerCase() === scope.toLowerCase());
      if (duplicate) return armError(409, 'RoleAssignmentExists', `The role assignment already exists. The ID of the existing role assignment is ${duplicate.name.replace(/-/g, '')}.`);
      const created = state.assignRole(input.principalId, role[0] as keyof typeof BUILT_IN_ROLES, scope, { principalType: input.principalType });
      // Keep the name az chose (the last path segment) so GET/DELETE by id work.
      const named = { ...created, name: params.name, ...(input.description ? { description: input.description } : {}) };
      state.roleAssignments[state.roleAssignments.length - 1] = named;
      return json(201, assignmentBody(named));
    },
  },
  {
    // azurerm_role_assignment: the GET before create (404), the replication wait after it (five GETs in a
    // row must find it), and every refresh.
    method: 'GET',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleAssignments\/(?<name>[^/]+)$/i,
    operation: `${DIR}/authorization-RoleAssignmentsCalls.json#RoleAssignments_Get`,
    handle: ({ params, state }) => {
      const found = state.roleAssignments.find((a) => a.name.toLowerCase() === params.name.toLowerCase() && a.scope.toLowerCase() === scopeOf(params).toLowerCase());
      return found ? json(200, assignmentBody(found)) : armError(404, 'RoleAssignmentNotFound', `The role assignment '${params.name}' is not found.`);
    },
  },
  {
    method: 'DELETE',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleAssignments\/(?<name>[^/]+)$/i,
    operation: `${DIR}/authorization-RoleAssignmentsCalls.json#RoleAssignments_Delete`,
    permission: (p) => ({ action: 'Microsoft.Authorization/roleAssignments/delete', scope: scopeOf(p) }),
    handle: ({ params, state }) => {
      const index = state.roleAssignments.findIndex((a) => a.name.toLowerCase() === params.name.toLowerCase() && a.scope.toLowerCase() === scopeOf(params).toLowerCase());
      if (index < 0) return { status: 204 };
      const [removed] = state.roleAssignments.splice(index, 1);
      return json(200, assignmentBody(removed));
    },
  },
  {
    // azurerm_role_assignment's read names the role (role_definition_name) from its definition id.
    method: 'GET',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleDefinitions\/(?<id>[^/]+)$/i,
    operation: `${DIR}/authorization-RoleDefinitionsCalls.json#RoleDefinitions_Get`,
    handle: ({ params }) => {
      const role = Object.entries(BUILT_IN_ROLES).find(([, r]) => r.id === params.id.toLowerCase());
      return role ? json(200, definitionBody(scopeOf(params), role[0], role[1])) : armError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${params.id}' does not exist.`);
    },
  },
  {
    method: 'GET',
    path: /^(?<scope>(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleAssignments$/i,
    operation: `${DIR}/authorization-RoleAssignmentsCalls.json#RoleAssignments_ListForScope`,
    handle: ({ params, state, request }) => {
      const scope = scopeOf(params);
      const principal = /principalId eq '([^']+)'/i.exec(request.query.$filter ?? '')?.[1];
      const value = state.roleAssignments
        .filter((a) => scopeCovers(a.scope, scope) || scopeCovers(scope, a.scope))
        .filter((a) => !principal || a.principalId === principal)
        .map(assignmentBody);
      return json(200, { value });
    },
  },
];
