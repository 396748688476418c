/**
 * Who is granted something: an Entra ID object id and its type.
 *
 * The type is given explicitly rather than looked up so that a workstation run and a pipeline run
 * produce the same role assignment (azurerm otherwise infers it, and a role assignment's principal
 * type forces replacement when it changes).
 */
export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export const PRINCIPAL_TYPES: readonly PrincipalType[] = ['User', 'Group', 'ServicePrincipal'];

export interface Principal {
  /** The principal's object id in Entra ID (not an application/client id). */
  readonly objectId: string;
  /**
   * @default - unset: Azure infers it, which costs a directory look-up and can fail for a principal
   * created moments ago.
   */
  readonly principalType?: PrincipalType;
  /** Free text for the role assignment's description, e.g. "pipeline: ado-prod". */
  readonly description?: string;
}

export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
