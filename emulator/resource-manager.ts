import { armError, authorizationFailed, missingRegistration, resourceGroupNotFound, subscriptionNotFound } from './arm-errors';
import { MANAGEMENT_AUDIENCES, type EntraId } from './entra-id';
import { json, jsonBody, matchPath, type EmulatorRequest, type EmulatorResponse, type RequestContext } from './http-exchange';
import { authorize, effectiveAssignments, scopeCovers } from './rbac';
import type { AzureState, Principal, Subscription } from './state';

/** What an ARM route handler gets once authentication, api-version, registration and RBAC have passed. */
export interface ArmContext {
  readonly request: EmulatorRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly state: AzureState;
  readonly principal: Principal;
  readonly entra: EntraId;
  /** The request body as JSON (undefined when empty). */
  body<T = Record<string, unknown>>(): T | undefined;
}

export interface ArmRoute {
  readonly method: string;
  /** `matchPath` pattern, or a RegExp with named groups for scope-prefixed paths. */
  readonly path: string | RegExp;
  /** `spec file#operationId` in Azure/azure-rest-api-specs, for the reader and for error text. */
  readonly operation: string;
  /** A resource provider namespace that must be registered in the subscription. */
  readonly namespace?: string;
  /** The RBAC action and scope to check before the handler runs; omit when the handler decides. */
  readonly permission?: (params: Record<string, string>) => { action: string; scope: string };
  readonly handle: (context: ArmContext) => EmulatorResponse;
}

const RESOURCES_SPEC = 'specification/resources/resource-manager/Microsoft.Resources/resources/stable/2024-11-01/resources.json';
const SUBSCRIPTIONS_SPEC = 'specification/resources/resource-manager/Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json';

export const subscriptionId = (params: Record<string, string>) => params.subscriptionId;
export const resourceGroupScope = (params: Record<string, string>) => `/subscriptions/${params.subscriptionId}/resourceGroups/${params.resourceGroupName}`;

/** Subscriptions where the principal holds any role assignment at or below the subscription (what ARM lists). */
function visibleSubscriptions(state: AzureState, principal: Principal): Subscription[] {
  const assignments = effectiveAssignments(state, principal.objectId);
  return [...state.subscriptions.values()].filter((s) =>
    assignments.some((a) => scopeCovers(`/subscriptions/${s.subscriptionId}`, a.scope) || scopeCovers(a.scope, `/subscriptions/${s.subscriptionId}`)),
  );
}

const subscriptionBody = (state: AzureState, s: Subscription) => ({
  id: `/subscriptions/${s.subscriptionId}`,
  authorizationSource: 'RoleBased',
  managedByTenants: [],
  subscriptionId: s.subscriptionId,
  tenantId: state.tenantId,
  displayName: s.displayName,
  state: s.state,
  subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
});

const resourceGroupBody = (g: { subscriptionId: string; name: string; location: string; tags: Record<string, string> }) => ({
  id: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.name}`,
  name: g.name,
  type: 'Microsoft.Resources/resourceGroups',
  location: g.location,
  tags: g.tags,
  properties: { provisioningState: 'Succeeded' },
});

/** Subscriptions, tenants, providers, resource groups and the generic resource list (Microsoft.Resources). */
export const RESOURCE_ROUTES: readonly ArmRoute[] = [
  {
    // az login --tenant: find_using_specific_tenant lists the subscriptions the token can see.
    method: 'GET',
    path: '/subscriptions',
    operation: `${SUBSCRIPTIONS_SPEC}#Subscriptions_List`,
    handle: ({ state, principal }) => {
      const value = visibleSubscriptions(state, principal).map((s) => subscriptionBody(state, s));
      return json(200, { value, count: { type: 'Total', value: value.length } });
    },
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}',
    operation: `${SUBSCRIPTIONS_SPEC}#Subscriptions_Get`,
    handle: ({ state, principal, params }) => {
      const s = visibleSubscriptions(state, principal).find((v) => v.subscriptionId.toLowerCase() === params.subscriptionId.toLowerCase());
      return s ? json(200, subscriptionBody(state, s)) : subscriptionNotFound(params.subscriptionId);
    },
  },
  {
    method: 'GET',
    path: '/tenants',
    operation: `${SUBSCRIPTIONS_SPEC}#Tenants_List`,
    handle: ({ state }) =>
      json(200, { value: [{ id: `/tenants/${state.tenantId}`, tenantId: state.tenantId, tenantCategory: 'Home', countryCode: 'NL', displayName: 'Emulated tenant', domains: ['emulated.onmicrosoft.com'], defaultDomain: 'emulated.onmicrosoft.com', tenantType: 'AAD' }] }),
  },
  {
    // azurerm fills its resource provider cache with this at every start, even with
    // resource_provider_registrations = "none" (it then only checks, and registers nothing).
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers',
    operation: `${RESOURCES_SPEC}#Providers_List`,
    handle: ({ state, params }) => {
      const subscription = state.subscription(params.subscriptionId);
      if (!subscription) return subscriptionNotFound(params.subscriptionId);
      const namespaces = new Set([...Object.keys(PROVIDER_RESOURCE_TYPES_CANONICAL), ...Object.keys(subscription.providers)]);
      return json(200, { value: [...namespaces].sort().map((ns) => providerBody(subscription, ns)) });
    },
  },
  {
    // az provider show --namespace X --subscription S (api-version 2024-11-01 in az 2.91.0).
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers/{namespace}',
    operation: `${RESOURCES_SPEC}#Providers_Get`,
    handle: ({ state, params }) => {
      const subscription = state.subscription(params.subscriptionId);
      if (!subscription) return subscriptionNotFound(params.subscriptionId);
      return json(200, providerBody(subscription, params.namespace));
    },
  },
  {
    method: 'POST',
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/register',
    operation: `${RESOURCES_SPEC}#Providers_Register`,
    permission: (p) => ({ action: `${p.namespace}/register/action`, scope: `/subscriptions/${p.subscriptionId}` }),
    handle: ({ state, params }) => {
      const subscription = state.subscription(params.subscriptionId);
      if (!subscription) return subscriptionNotFound(params.subscriptionId);
      subscription.providers[canonicalNamespace(subscription, params.namespace)] = 'Registered';
      return json(200, providerBody(subscription, params.namespace));
    },
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
    operation: `${RESOURCES_SPEC}#ResourceGroups_Get`,
    permission: (p) => ({ action: 'Microsoft.Resources/subscriptions/resourceGroups/read', scope: resourceGroupScope(p) }),
    handle: ({ state, params }) => {
      const group = state.resourceGroup(params.subscriptionId, params.resourceGroupName);
      return group ? json(200, resourceGroupBody(group)) : resourceGroupNotFound(params.resourceGroupName);
    },
  },
  {
    method: 'HEAD',
    path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
    operation: `${RESOURCES_SPEC}#ResourceGroups_CheckExistence`,
    permission: (p) => ({ action: 'Microsoft.Resources/subscriptions/resourceGroups/read', scope: resourceGroupScope(p) }),
    handle: ({ state, params }) => ({ status: state.resourceGroup(params.subscriptionId, params.resourceGroupName) ? 204 : 404 }),
  },
  {
    method: 'PUT',
    path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
    operation: `${RESOURCES_SPEC}#ResourceGroups_CreateOrUpdate`,
    permission: (p) => ({ action: 'Microsoft.Resources/subscriptions/resourceGroups/write', scope: resourceGroupScope(p) }),
    handle: ({ state, params, body }) => {
      const existing = state.resourceGroup(params.subscriptionId, params.resourceGroupName);
      const input = body<{ location?: string; tags?: Record<string, string> }>() ?? {};
      if (!input.location) return armError(400, 'LocationRequired', 'The location property is required for this definition.');
      const group = existing ?? state.addResourceGroup(params.subscriptionId, params.resourceGroupName, input.location);
      group.tags = input.tags ?? {};
      return json(existing ? 200 : 201, resourceGroupBody(group));
    },
  },
  {
    // Used by az keyvault commands given --name without --resource-group (validate_resource_group_name):
    // $filter=resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'V', api-version 2015-11-01.
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/resources',
    operation: `${RESOURCES_SPEC}#Resources_List`,
    handle: ({ state, params, request, principal }) => {
      if (!state.subscription(params.subscriptionId)) return subscriptionNotFound(params.subscriptionId);
      const filter = request.query.$filter ?? '';
      const type = /resourceType eq '([^']+)'/i.exec(filter)?.[1]?.toLowerCase();
      const name = /name eq '([^']+)'/i.exec(filter)?.[1]?.toLowerCase();
      const resources = [
        ...[...state.vaults.values()].map((v) => ({ sub: v.subscriptionId, rg: v.resourceGroup, name: v.name, type: 'Microsoft.KeyVault/vaults', location: v.location, tags: v.tags })),
        ...[...state.apimServices.values()].map((s) => ({ sub: s.subscriptionId, rg: s.resourceGroup, name: s.name, type: 'Microsoft.ApiManagement/service', location: s.location, tags: {} })),
      ]
        .filter((r) => r.sub.toLowerCase() === params.subscriptionId.toLowerCase())
        .filter((r) => (!type || r.type.toLowerCase() === type) && (!name || r.name.toLowerCase() === name))
        .map((r) => ({ id: `/subscriptions/${r.sub}/resourceGroups/${r.rg}/providers/${r.type}/${r.name}`, name: r.name, type: r.type, location: r.location, tags: r.tags }))
        .filter((r) => authorize(state, principal.objectId, `${r.type}/read`, r.id, false).allowed);
      return json(200, { value: resources });
    },
  },
];

function canonicalNamespace(subscription: Subscription, namespace: string): string {
  return Object.keys(subscription.providers).find((k) => k.toLowerCase() === namespace.toLowerCase()) ?? namespace;
}

/** Namespaces every subscription lists, registered or not (a few of the ~200 Azure has). */
const PROVIDER_RESOURCE_TYPES_CANONICAL: Record<string, true> = {
  'Microsoft.KeyVault': true,
  'Microsoft.ApiManagement': true,
  'Microsoft.Authorization': true,
  'Microsoft.Network': true,
  'Microsoft.EventGrid': true,
  'Microsoft.ManagedIdentity': true,
  'Microsoft.Storage': true,
  'Microsoft.Resources': true,
};

const PROVIDER_RESOURCE_TYPES: Record<string, string[]> = {
  'microsoft.keyvault': ['vaults', 'vaults/secrets', 'vaults/accessPolicies', 'deletedVaults', 'locations', 'operations'],
  'microsoft.apimanagement': ['service', 'service/certificates', 'service/backends', 'service/policyFragments', 'deletedservices', 'operations'],
  'microsoft.authorization': ['roleAssignments', 'roleDefinitions'],
  'microsoft.network': ['privateEndpoints', 'privateEndpoints/privateDnsZoneGroups', 'networkInterfaces', 'virtualNetworks', 'privateDnsZones', 'locations', 'operations'],
  'microsoft.eventgrid': ['systemTopics', 'systemTopics/eventSubscriptions', 'locations', 'operations'],
};

function providerBody(subscription: Subscription, namespace: string) {
  const name = canonicalNamespace(subscription, namespace);
  return {
    id: `/subscriptions/${subscription.subscriptionId}/providers/${name}`,
    namespace: name,
    registrationState: subscription.providers[name] ?? 'NotRegistered',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: (PROVIDER_RESOURCE_TYPES[name.toLowerCase()] ?? []).map((resourceType) => ({
      resourceType,
      locations: ['West Europe', 'North Europe'],
      apiVersions: ['2026-02-01', '2024-11-01', '2024-05-01', '2023-07-01'],
      capabilities: 'None',
    })),
  };
}

/**
 * management.azure.com: authenticates the bearer token, requires api-version (any value is accepted: az
 * 2.91.0 uses 2026-02-01 for vaults and 2024-11-01 for providers), refuses unregistered namespaces and
 * enforces RBAC, then dispatches to the route.
 */
export function createResourceManager(state: AzureState, entra: EntraId, routes: readonly ArmRoute[]) {
  return (request: EmulatorRequest, context: RequestContext): EmulatorResponse => {
    const auth = entra.authenticate(request, MANAGEMENT_AUDIENCES);
    if (!auth.ok) {
      const challenge = { 'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${state.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."` };
      switch (auth.reason) {
        case 'missing':
          return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge);
        case 'expired':
          return armError(401, 'ExpiredAuthenticationToken', 'The access token expiry UTC time is earlier than current UTC time.', challenge);
        case 'audience':
          return armError(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${auth.audience}'. It should exactly match with one of the allowed audiences '${MANAGEMENT_AUDIENCES.join("','")}'.`, challenge);
        default:
          return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge);
      }
    }
    const principal = auth.token.principal;
    context.principalId = principal.objectId;
    if (!request.query['api-version']) return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');

    let pathMatched = false;
    for (const route of routes) {
      const params = typeof route.path === 'string' ? matchPath(route.path, request.path) : (route.path.exec(request.path)?.groups ?? undefined);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      if (params.subscriptionId && route.path !== '/subscriptions/{subscriptionId}') {
        const subscription = state.subscription(params.subscriptionId);
        if (!subscription) return subscriptionNotFound(params.subscriptionId);
        if (route.namespace && (subscription.providers[canonicalNamespace(subscription, route.namespace)] ?? 'NotRegistered') !== 'Registered') {
          return missingRegistration(route.namespace);
        }
      }
      if (route.permission) {
        const { action, scope } = route.permission(params);
        if (!authorize(state, principal.objectId, action, scope, false).allowed) return authorizationFailed(principal.appId, principal.objectId, action, scope);
        // A resource under a missing resource group is ResourceGroupNotFound, as ARM answers before the provider.
        if (params.resourceGroupName && !/\/resourcegroups\/\{resourceGroupName\}$/i.test(String(route.path)) && !state.resourceGroup(params.subscriptionId, params.resourceGroupName)) {
          return resourceGroupNotFound(params.resourceGroupName);
        }
      }
      let parsed: unknown;
      try {
        parsed = jsonBody(request);
      } catch {
        return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      }
      return route.handle({ request, params, state, principal, entra, body: <T>() => parsed as T | undefined });
    }
    if (pathMatched) return armError(405, 'HttpMethodNotAllowed', `The HTTP method '${request.method}' is not supported at '${request.path}'.`);
    return armError(404, 'InvalidResourceType', `The resource type could not be found for path '${request.path}' (azure-emulator).`);
  };
}
