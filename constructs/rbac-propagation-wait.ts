import { Sleep } from '@cdktf/provider-time/lib/sleep';
import { Construct } from 'constructs';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { validateValue } from './validate-props';
import { ValueRules } from './value-rules';

/**
 * Azure's data plane keeps answering `ForbiddenByRbac` for a while after a role assignment is created.
 * Microsoft documents up to 10 minutes for Key Vault; in practice it is one to two minutes. 120 s covers
 * the common case without making every first apply pay the worst case; environments on slow tenants
 * raise it.
 */
export const DEFAULT_RBAC_PROPAGATION_WAIT = '120s';

export interface RbacPropagationWaitProps {
  /** The role assignments to wait for. */
  readonly roleAssignments: readonly RoleAssignment[];
  /**
   * How long to wait after they are created, in time_sleep's duration format ("90s", "2m").
   * @default - 120 seconds (DEFAULT_RBAC_PROPAGATION_WAIT)
   */
  readonly duration?: string;
}

/**
 * A `time_sleep` that runs after the role assignments are created, and again only when one of them
 * is replaced (its ids are the triggers): later applies do not wait.
 */
export class RbacPropagationWait extends Construct {
  readonly sleep: Sleep;

  constructor(scope: Construct, id: string, props: RbacPropagationWaitProps) {
    super(scope, id);
    const duration = props.duration ?? DEFAULT_RBAC_PROPAGATION_WAIT;
    validateValue(this, 'duration', duration, ValueRules.timeDuration);
    this.sleep = new Sleep(this, 'Sleep', {
      createDuration: duration,
      triggers: Object.fromEntries(props.roleAssignments.map((a, i) => [`role_assignment_${i}`, a.id])),
      dependsOn: [...props.roleAssignments],
    });
  }
}
