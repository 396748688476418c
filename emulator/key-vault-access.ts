import { checkFirewall } from './firewall';
import { json, type EmulatorResponse } from './http-exchange';
import { authorize } from './rbac';
import { vaultResourceId, type AzureState, type Principal, type Vault } from './state';

/**
 * Who may reach a vault's data plane: the firewall first (403 ForbiddenByFirewall / ForbiddenByConnection),
 * then the permission model: Azure RBAC data actions at vault or object scope (403 ForbiddenByRbac), or, on
 * a vault without enableRbacAuthorization, its access policies. Error shapes per the research notes
 * (docs-facts §4): top-level code Forbidden, the reason in innererror.code.
 */

/** The RBAC data action, the access-policy permission, and the object (certificates/x, secrets/x) the scope narrows to. */
export interface DataPermission {
  readonly action: string;
  readonly policy: [kind: 'certificates' | 'secrets', permission: string];
  readonly object?: (params: Record<string, string>) => string;
}

/** Key Vault's `KeyVaultError` envelope. */
export const kvError = (status: number, code: string, message: string, innerCode?: string, headers: Record<string, string> = {}): EmulatorResponse =>
  json(status, { error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) } }, headers);

const rbacMessage = (principal: Principal, action: string, resource: string, vault: Vault, state: AzureState) =>
  [
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: appid=${principal.appId ?? principal.objectId};oid=${principal.objectId};iss=https://sts.windows.net/${state.tenantId}/`,
    `Action: '${action}'`,
    `Resource: '${resource.toLowerCase()}'`,
    'Assignment: (not found)',
    'DenyAssignmentId: null',
    'DecisionReason: null ',
    `Vault: ${vault.name};location=${vault.location}`,
    '',
  ].join('\r\n');

/**
 * Whether `principal` may do `permission` on `vault` from `clientAddress` (also used by APIM's refresh, which
 * reads the vault as itself). Returns the 403 to send, or undefined.
 */
export function dataPlaneAccess(
  state: AzureState,
  vault: Vault,
  principal: Principal,
  permission: DataPermission,
  params: Record<string, string>,
  caller: { clientAddress: string; trustedService?: boolean; privately?: boolean },
): EmulatorResponse | undefined {
  // Through a private endpoint neither the IP rules nor publicNetworkAccess apply (Key Vault docs,
  // "Network security": firewall rules govern the public endpoint only).
  const firewall = caller.privately ? ({ allowed: true } as const) : checkFirewall(vault, caller.clientAddress, caller.trustedService);
  if (!firewall.allowed) return kvError(403, 'Forbidden', firewall.message, firewall.innerCode);
  const resource = `${vaultResourceId(vault)}${permission.object ? `/${permission.object(params)}` : ''}`;
  if (vault.properties.enableRbacAuthorization) {
    if (!authorize(state, principal.objectId, permission.action, resource, true).allowed) {
      return kvError(403, 'Forbidden', rbacMessage(principal, permission.action, resource, vault, state), 'ForbiddenByRbac');
    }
    return undefined;
  }
  const [kind, needed] = permission.policy;
  const policies = (vault.properties.accessPolicies as { objectId?: string; permissions?: Record<string, string[]> }[]) ?? [];
  const granted = policies.some((p) => p.objectId === principal.objectId && (p.permissions?.[kind] ?? []).some((x) => x.toLowerCase() === needed.toLowerCase() || x.toLowerCase() === 'all'));
  if (granted) return undefined;
  return kvError(
    403,
    'Forbidden',
    `The user, group or application 'appid=${principal.appId ?? principal.objectId};oid=${principal.objectId};iss=https://sts.windows.net/${state.tenantId}/' does not have ${kind} ${needed} permission on key vault '${vault.name};location=${vault.location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    'AccessDenied',
  );
}

