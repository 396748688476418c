import { BuiltInRole, BuiltInRoles } from '../constructs/role-definitions';
import type { TerraformJson } from './dependency-graph';

/** One resource or data source of a synthesized stack, found by its Terraform address. */
export interface StackBlock {
  readonly address: string;
  readonly kind: 'resource' | 'data';
  /** "azurerm_key_vault", "time_sleep", "azurerm_client_config" (without "data."). */
  readonly type: string;
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The block behind an address from buildDependencyGraph ("azurerm_key_vault.KeyVault",
 * "data.azurerm_client_config.Azure_Client"). Neither types nor cdktf logical ids hold a ".", so the
 * address splits at its first dot after the optional "data.".
 */
export function blockAt(stack: TerraformJson, address: string): StackBlock {
  const isData = address.startsWith('data.');
  const rest = isData ? address.slice('data.'.length) : address;
  const dot = rest.indexOf('.');
  const type = rest.slice(0, dot);
  const name = rest.slice(dot + 1);
  const body = (isData ? stack.data : stack.resource)?.[type]?.[name];
  if (dot < 1 || !body || typeof body !== 'object') throw new Error(`no block at ${address} in this stack`);
  return { address, kind: isData ? 'data' : 'resource', type, name, body: body as Record<string, unknown> };
}

/** Every resource and data source of the stack, keyed by address. */
export function blocksOf(stack: TerraformJson, addresses: readonly string[]): ReadonlyMap<string, StackBlock> {
  return new Map(addresses.map((a) => [a, blockAt(stack, a)]));
}

/** A string attribute, or undefined when it is absent or not a string. */
export function stringAttribute(block: StackBlock, key: string): string | undefined {
  const value = block.body[key];
  return typeof value === 'string' ? value : undefined;
}

const ROLE_DEFINITION_GUID = /([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/**
 * The built-in role an azurerm_role_assignment grants, read from the end of its role_definition_id
 * ("${data.azurerm_subscription.X.id}/providers/Microsoft.Authorization/roleDefinitions/<guid>").
 * Undefined for other blocks and for roles this project does not assign.
 */
export function assignedRole(block: StackBlock): BuiltInRole | undefined {
  if (block.type !== 'azurerm_role_assignment') return undefined;
  const guid = stringAttribute(block, 'role_definition_id')?.match(ROLE_DEFINITION_GUID)?.[1].toLowerCase();
  return Object.values(BuiltInRoles).find((role) => role.roleDefinitionId === guid);
}
