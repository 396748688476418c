import { BuiltInRoles } from '../../constructs/role-definitions';
import { PolicyRule } from '../policy-rule';

export const secretReadScopedToSecret: PolicyRule = {
  id: 'RBAC1',
  description: 'Key Vault Secrets User is granted on one secret (<vault id>/secrets/<name>), never on a whole vault or wider.',
  level: 'error',
  resourceType: 'azurerm_role_assignment',
  isCompliant: (assignment) =>
    !String(assignment.role_definition_id ?? '').toLowerCase().endsWith(BuiltInRoles.keyVaultSecretsUser.roleDefinitionId) ||
    /\/secrets\/[^/]+$/.test(String(assignment.scope ?? '')),
  fix: 'grant with vault.grantSecretRead(principal, secretName), which scopes the role to that secret',
};
