import crypto from 'node:crypto';
import { armError } from './arm-errors';
import { json } from './http-exchange';
import { accepted } from './long-running-operations';
import { resourceGroupScope, type ArmContext, type ArmRoute } from './resource-manager';
import { vaultResourceId, type ArmResource, type AzureState, type Vault } from './state';

/**
 * Microsoft.Network, as much as a Key Vault private endpoint needs (what azurerm_private_endpoint calls):
 * private endpoints with their private DNS zone group, and the network interface Azure creates for each.
 * Specs: specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01/privateEndpoint.json
 * (PrivateEndpoints_*, PrivateDnsZoneGroups_*) and .../networkInterface.json (NetworkInterfaces_Get), the
 * api-version azurerm 4.55.0 sends. Virtual networks, subnets and private DNS zones are not created here:
 * tests seed them (`seedVirtualNetwork`, `seedPrivateDnsZone`), as a platform team's landing zone would hold
 * them, and a private endpoint that names a missing one is refused as Azure refuses it.
 *
 * A vault is reached privately (see key-vault-access.ts) when an approved private endpoint to it sits in a
 * subnet of the caller's virtual network (AzureState.clientVirtualNetworkId) and a DNS zone group writes its
 * name into a privatelink.vaultcore.azure.net zone. Connections are approved at once, as for a caller who
 * may approve on the vault (NOT CONFIRMED: Azure's auto-approval checks
 * Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action, which the emulator does not).
 */
const DIR = 'specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01';
const NS = 'Microsoft.Network';
const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
const ENDPOINT = `${RG}/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}`;
const endpointId = (p: Record<string, string>) => `${resourceGroupScope(p)}/providers/Microsoft.Network/privateEndpoints/${p.privateEndpointName}`;
const action = (verb: string, scope: (p: Record<string, string>) => string) => (p: Record<string, string>) => ({ action: `Microsoft.Network/privateEndpoints/${verb}`, scope: scope(p) });

const notFound = (type: string, name: string, group: string) =>
  armError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);

/** A virtual network with subnets, as a test's landing zone. */
export function seedVirtualNetwork(state: AzureState, id: string, location: string, subnets: Record<string, string>): ArmResource {
  const name = id.split('/').pop()!;
  const network = state.putResource({
    id,
    name,
    type: 'Microsoft.Network/virtualNetworks',
    location,
    properties: { provisioningState: 'Succeeded', addressSpace: { addressPrefixes: Object.values(subnets) } },
  });
  for (const [subnet, prefix] of Object.entries(subnets)) {
    state.putResource({ id: `${id}/subnets/${subnet}`, name: subnet, type: 'Microsoft.Network/virtualNetworks/subnets', properties: { provisioningState: 'Succeeded', addressPrefix: prefix } });
  }
  return network;
}

/** A private DNS zone (privatelink.vaultcore.azure.net) linked to the landing zone's network. */
export function seedPrivateDnsZone(state: AzureState, id: string): ArmResource {
  return state.putResource({ id, name: id.split('/').pop()!, type: 'Microsoft.Network/privateDnsZones', location: 'global', properties: { provisioningState: 'Succeeded', recordSets: {} as Record<string, string[]> } });
}

/** The next free host address in a subnet's /24 (the emulator never needs more). */
function nextAddress(state: AzureState, subnet: ArmResource): string {
  const prefix = String(subnet.properties.addressPrefix ?? '10.0.0.0/24').split('/')[0].split('.').slice(0, 3).join('.');
  const used = [...state.resources.values()].filter((r) => r.type === 'Microsoft.Network/networkInterfaces').length;
  return `${prefix}.${4 + used}`;
}

function endpointBody(resource: ArmResource) {
  const { id, name, type, location, tags, properties, etag } = resource;
  return { id, name, type, location, ...(tags ? { tags } : {}), etag, properties };
}

function putEndpoint(context: ArmContext) {
  const { state, params } = context;
  const input = context.body<{ location?: string; tags?: Record<string, string>; properties?: Record<string, any> }>() ?? {};
  const id = endpointId(params);
  const existing = state.resource(id);
  const props = input.properties ?? {};
  const subnetId = String(props.subnet?.id ?? '');
  const subnet = state.resource(subnetId);
  if (!subnet || subnet.type !== 'Microsoft.Network/virtualNetworks/subnets') {
    return armError(400, 'InvalidResourceReference', `Resource ${subnetId} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
  }
  const connections = (props.privateLinkServiceConnections ?? []) as { name?: string; properties?: { privateLinkServiceId?: string; groupIds?: string[] } }[];
  for (const connection of connections) {
    const target = String(connection.properties?.privateLinkServiceId ?? '');
    const vault = [...state.vaults.values()].find((v) => vaultResourceId(v).toLowerCase() === target.toLowerCase());
    if (!vault) return armError(400, 'PrivateLinkServiceNotFound', `Private link service ${target} referenced by private endpoint ${id} was not found.`);
    if (!(connection.properties?.groupIds ?? []).every((g) => g === 'vault')) return armError(400, 'InvalidPrivateLinkServiceConnectionGroupId', `Group id(s) ${connection.properties?.groupIds} are not valid for ${target}; Key Vault has only "vault".`);
  }
  const nicId = existing
    ? String(((existing.properties.networkInterfaces as { id: string }[] | undefined) ?? [])[0]?.id ?? '')
    : `${resourceGroupScope(params)}/providers/Microsoft.Network/networkInterfaces/${props.customNetworkInterfaceName || `${params.privateEndpointName}.nic.${crypto.randomUUID()}`}`;
  let address = String((state.resource(nicId)?.properties.ipConfigurations as { properties: { privateIPAddress: string } }[] | undefined)?.[0]?.properties.privateIPAddress ?? '');
  if (!address) {
    address = nextAddress(state, subnet);
    state.putResource({
      id: nicId,
      name: nicId.split('/').pop()!,
      type: 'Microsoft.Network/networkInterfaces',
      location: input.location,
      properties: { provisioningState: 'Succeeded', privateEndpoint: { id }, ipConfigurations: [{ name: 'privateEndpointIpConfig', properties: { privateIPAddress: address, privateIPAllocationMethod: 'Dynamic', subnet: { id: subnetId }, primary: true } }] },
    });
  }
  const stored = state.putResource({
    id,
    name: params.privateEndpointName,
    type: 'Microsoft.Network/privateEndpoints',
    location: input.location,
    ...(input.tags ? { tags: input.tags } : {}),
    etag: `W/"${crypto.randomUUID()}"`,
    properties: {
      ...props,
      provisioningState: 'Succeeded',
      resourceGuid: (existing?.properties.resourceGuid as string | undefined) ?? crypto.randomUUID(),
      subnet: { id: subnetId },
      networkInterfaces: [{ id: nicId }],
      customNetworkInterfaceName: props.customNetworkInterfaceName ?? '',
      ipConfigurations: props.ipConfigurations ?? [],
      manualPrivateLinkServiceConnections: props.manualPrivateLinkServiceConnections ?? [],
      privateLinkServiceConnections: connections.map((c) => ({
        id: `${id}/privateLinkServiceConnections/${c.name}`,
        name: c.name,
        type: 'Microsoft.Network/privateEndpoints/privateLinkServiceConnections',
        properties: {
          ...c.properties,
          provisioningState: 'Succeeded',
          privateLinkServiceConnectionState: { status: 'Approved', description: 'Auto-Approved', actionsRequired: 'None' },
        },
      })),
      customDnsConfigs: connections.flatMap((c) => {
        const vault = [...state.vaults.values()].find((v) => vaultResourceId(v).toLowerCase() === String(c.properties?.privateLinkServiceId).toLowerCase());
        return vault ? [{ fqdn: `${vault.name.toLowerCase()}.vault.azure.net`, ipAddresses: [address] }] : [];
      }),
    },
  });
  return accepted(state, existing ? 200 : 201, endpointBody(stored), params.subscriptionId, NS, input.location ?? 'westeurope');
}

function zoneGroupBody(resource: ArmResource) {
  return { id: resource.id, name: resource.name, type: resource.type, etag: resource.etag, properties: resource.properties };
}

function putZoneGroup(context: ArmContext) {
  const { state, params } = context;
  const endpoint = state.resource(endpointId(params));
  if (!endpoint) return notFound('Microsoft.Network/privateEndpoints', params.privateEndpointName, params.resourceGroupName);
  const input = context.body<{ properties?: { privateDnsZoneConfigs?: { name?: string; properties?: { privateDnsZoneId?: string } }[] } }>() ?? {};
  const configs = input.properties?.privateDnsZoneConfigs ?? [];
  const dns = (endpoint.properties.customDnsConfigs as { fqdn: string; ipAddresses: string[] }[] | undefined) ?? [];
  const out = [];
  for (const config of configs) {
    const zoneId = String(config.properties?.privateDnsZoneId ?? '');
    const zone = state.resource(zoneId);
    if (!zone || zone.type !== 'Microsoft.Network/privateDnsZones') return armError(400, 'InvalidResourceReference', `Resource ${zoneId} referenced by resource ${endpoint.id} was not found.`);
    const recordSets = dns.map((d) => {
      const recordSetName = d.fqdn.split('.')[0];
      (zone.properties.recordSets as Record<string, string[]>)[recordSetName] = d.ipAddresses;
      return { recordType: 'A', recordSetName, fqdn: `${recordSetName}.${zone.name}`, ttl: 10, ipAddresses: d.ipAddresses, provisioningState: 'Succeeded' };
    });
    out.push({ name: config.name, id: `${endpoint.id}/privateDnsZoneGroups/${params.groupName}/privateDnsZoneConfigs/${config.name}`, properties: { privateDnsZoneId: zoneId, recordSets } });
  }
  const id = `${endpoint.id}/privateDnsZoneGroups/${params.groupName}`;
  const existing = state.resource(id);
  const stored = state.putResource({ id, name: params.groupName, type: 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups', etag: `W/"${crypto.randomUUID()}"`, properties: { provisioningState: 'Succeeded', privateDnsZoneConfigs: out } });
  return accepted(state, existing ? 200 : 201, zoneGroupBody(stored), params.subscriptionId, NS, endpoint.location ?? 'westeurope');
}

/**
 * Whether the caller reaches `vault` through a private endpoint: an approved connection from a subnet of
 * its own virtual network, and the vault's name in a privatelink.vaultcore.azure.net zone (a DNS zone group).
 * Without the zone record the name still resolves to the public address.
 */
export function reachesPrivately(state: AzureState, vault: Vault): boolean {
  const network = state.clientVirtualNetworkId?.toLowerCase();
  if (!network) return false;
  const vaultId = vaultResourceId(vault).toLowerCase();
  return [...state.resources.values()].some((endpoint) => {
    if (endpoint.type !== 'Microsoft.Network/privateEndpoints') return false;
    const subnet = String((endpoint.properties.subnet as { id?: string } | undefined)?.id ?? '').toLowerCase();
    if (!subnet.startsWith(`${network}/subnets/`)) return false;
    const approved = ((endpoint.properties.privateLinkServiceConnections as { properties: { privateLinkServiceId?: string; privateLinkServiceConnectionState?: { status?: string } } }[] | undefined) ?? []).some(
      (c) => String(c.properties.privateLinkServiceId).toLowerCase() === vaultId && c.properties.privateLinkServiceConnectionState?.status === 'Approved',
    );
    const named = state.childResources(endpoint.id, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups').some((group) =>
      ((group.properties.privateDnsZoneConfigs as { properties: { privateDnsZoneId: string; recordSets: { recordSetName: string }[] } }[] | undefined) ?? []).some(
        (c) => /\/privateDnsZones\/privatelink\.vaultcore\.azure\.net$/i.test(c.properties.privateDnsZoneId) && c.properties.recordSets.some((r) => r.recordSetName.toLowerCase() === vault.name.toLowerCase()),
      ),
    );
    return approved && named;
  });
}

export const NETWORK_ROUTES: readonly ArmRoute[] = [
  {
    method: 'GET',
    path: ENDPOINT,
    operation: `${DIR}/privateEndpoint.json#PrivateEndpoints_Get`,
    namespace: NS,
    permission: action('read', endpointId),
    handle: ({ state, params }) => {
      const endpoint = state.resource(endpointId(params));
      return endpoint ? json(200, endpointBody(endpoint)) : notFound('Microsoft.Network/privateEndpoints', params.privateEndpointName, params.resourceGroupName);
    },
  },
  {
    // Long-running: 201 + Azure-AsyncOperation (privateEndpoint.json, x-ms-long-running-operation, final-state-via azure-async-operation).
    method: 'PUT',
    path: ENDPOINT,
    operation: `${DIR}/privateEndpoint.json#PrivateEndpoints_CreateOrUpdate`,
    namespace: NS,
    permission: action('write', endpointId),
    handle: putEndpoint,
  },
  {
    method: 'DELETE',
    path: ENDPOINT,
    operation: `${DIR}/privateEndpoint.json#PrivateEndpoints_Delete`,
    namespace: NS,
    permission: action('delete', endpointId),
    handle: ({ state, params }) => {
      const id = endpointId(params);
      if (!state.resource(id)) return { status: 204 };
      for (const child of state.childResources(id, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups')) state.resources.delete(child.id.toLowerCase());
      state.resources.delete(id.toLowerCase());
      return accepted(state, 202, undefined, params.subscriptionId, NS, 'westeurope');
    },
  },
  {
    method: 'GET',
    path: `${ENDPOINT}/privateDnsZoneGroups`,
    operation: `${DIR}/privateEndpoint.json#PrivateDnsZoneGroups_List`,
    namespace: NS,
    permission: action('privateDnsZoneGroups/read', endpointId),
    handle: ({ state, params }) => {
      const endpoint = state.resource(endpointId(params));
      if (!endpoint) return notFound('Microsoft.Network/privateEndpoints', params.privateEndpointName, params.resourceGroupName);
      return json(200, { value: state.childResources(endpoint.id, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups').map(zoneGroupBody) });
    },
  },
  {
    method: 'GET',
    path: `${ENDPOINT}/privateDnsZoneGroups/{groupName}`,
    operation: `${DIR}/privateEndpoint.json#PrivateDnsZoneGroups_Get`,
    namespace: NS,
    permission: action('privateDnsZoneGroups/read', endpointId),
    handle: ({ state, params }) => {
      const group = state.resource(`${endpointId(params)}/privateDnsZoneGroups/${params.groupName}`);
      return group ? json(200, zoneGroupBody(group)) : notFound('Microsoft.Network/privateEndpoints/privateDnsZoneGroups', params.groupName, params.resourceGroupName);
    },
  },
  {
    method: 'PUT',
    path: `${ENDPOINT}/privateDnsZoneGroups/{groupName}`,
    operation: `${DIR}/privateEndpoint.json#PrivateDnsZoneGroups_CreateOrUpdate`,
    namespace: NS,
    permission: action('privateDnsZoneGroups/write', endpointId),
    handle: putZoneGroup,
  },
  {
    method: 'GET',
    path: `${RG}/providers/Microsoft.Network/networkInterfaces/{nicName}`,
    operation: `${DIR}/networkInterface.json#NetworkInterfaces_Get`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.Network/networkInterfaces/read', scope: `${resourceGroupScope(p)}/providers/Microsoft.Network/networkInterfaces/${p.nicName}` }),
    handle: ({ state, params }) => {
      const nic = state.resource(`${resourceGroupScope(params)}/providers/Microsoft.Network/networkInterfaces/${params.nicName}`);
      return nic ? json(200, { id: nic.id, name: nic.name, type: nic.type, location: nic.location, properties: nic.properties }) : notFound('Microsoft.Network/networkInterfaces', params.nicName, params.resourceGroupName);
    },
  },
];
