import crypto from 'node:crypto';
import { armError, resourceNotFound } from './arm-errors';
import { header, json, type EmulatorResponse } from './http-exchange';
import { findCertificate } from './key-vault-certificates';
import { dataPlaneAccess } from './key-vault-access';
import { SECRET_READ_PERMISSION, secretBundle } from './key-vault-data-plane';
import { accepted } from './long-running-operations';
import { readPem, readPfx, sha1 } from './pfx';
import { resourceGroupScope, type ArmContext, type ArmRoute } from './resource-manager';
import { apimResourceId, newEtag, type ApimCertificate, type ApimService, type AzureState } from './state';

/**
 * Microsoft.ApiManagement on ARM: the service, its certificates (Key Vault references), backends and policy
 * fragments. Specs under specification/apimanagement/resource-manager/Microsoft.ApiManagement/ApiManagement/
 * stable/2024-05-01/: apimcertificates.json, apimbackends.json, apimpolicyfragments.json, apimdeployment.json.
 *
 * APIM keeps its own copy of a Key Vault certificate: it serves the version it last fetched (thumbprint,
 * expirationDate) until Certificate_RefreshSecret (or its periodic refresh, not emulated) reads Key Vault again.
 */
const DIR = 'specification/apimanagement/resource-manager/Microsoft.ApiManagement/ApiManagement/stable/2024-05-01';
const SERVICE = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}';
const serviceScope = (p: Record<string, string>) => `${resourceGroupScope(p)}/providers/Microsoft.ApiManagement/service/${p.serviceName}`;
const NS = 'Microsoft.ApiManagement';

const serviceNotFound = (p: Record<string, string>) => resourceNotFound('Microsoft.ApiManagement/service', p.serviceName, p.resourceGroupName);
const entityNotFound = (what: string) => armError(404, 'ResourceNotFound', `${what} not found.`);

/** APIM's ETag check: PATCH and DELETE require If-Match (`*` or the current ETag). */
function ifMatch(context: ArmContext, etag: string): EmulatorResponse | undefined {
  const value = header(context.request, 'if-match');
  // Missing If-Match on a required-If-Match operation: the exact APIM error is NOT CONFIRMED.
  if (value === undefined) return armError(400, 'ValidationError', "Missing required header 'If-Match'.");
  if (value.trim() !== '*' && value.trim() !== etag) return armError(412, 'PreconditionFailed', 'The specified entity tag (If-Match header) does not match the current one; the entity was changed since it was read.');
  return undefined;
}

function withService(context: ArmContext, then: (service: ApimService) => EmulatorResponse): EmulatorResponse {
  const service = context.state.apimService(context.params.subscriptionId, context.params.resourceGroupName, context.params.serviceName);
  return service ? then(service) : serviceNotFound(context.params);
}

const certificateBody = (service: ApimService, c: ApimCertificate) => ({
  id: `${apimResourceId(service)}/certificates/${c.name}`,
  type: 'Microsoft.ApiManagement/service/certificates',
  name: c.name,
  properties: {
    subject: c.subject,
    thumbprint: c.thumbprint,
    expirationDate: c.expirationDate,
    ...(c.keyVault ? { keyVault: c.keyVault } : {}),
  },
});

const childBody = (service: ApimService, type: string, name: string, properties: Record<string, unknown>) => ({
  id: `${apimResourceId(service)}/${type}/${name}`,
  type: `Microsoft.ApiManagement/service/${type}`,
  name,
  properties,
});

/** `YYYY-MM-DDTHH:MM:SSZ`, as APIM prints expirationDate. */
const isoSeconds = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * APIM reading its Key Vault reference as its own managed identity, from its own outbound address (or as a
 * trusted service when the vault's bypass allows): the same firewall and RBAC checks as any data-plane call.
 * On success the certificate takes the current (or pinned) version's thumbprint and expiry.
 */
export function fetchFromKeyVault(state: AzureState, service: ApimService, certificate: ApimCertificate): { ok: true } | { ok: false; response: EmulatorResponse } {
  const reference = certificate.keyVault!;
  const now = new Date(state.now()).toISOString();
  const fail = (message: string, code = 'InvalidOperation') => {
    reference.lastStatus = { code, message, timeStampUtc: now };
    return { ok: false as const, response: armError(400, code, message) };
  };
  const match = /^https:\/\/([^./]+)\.vault\.azure\.net(?::443)?\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/i.exec(reference.secretIdentifier);
  if (!match) return fail(`Invalid Key Vault secret identifier '${reference.secretIdentifier}'.`, 'ValidationError');
  const [, vaultName, secretName, version = ''] = match;
  const vault = state.vaultByName(vaultName);
  const principal = reference.identityClientId ? state.principalByAppId(reference.identityClientId) : state.principals.get(service.principalId);
  const accessMessage = `Failed to access KeyVault Secret ${reference.secretIdentifier} using Managed Service Identity (http://aka.ms/apimmsi) of Api Management service. Check if Managed Identity of Type: ${reference.identityClientId ? 'UserAssigned' : 'SystemAssigned'}, ClientId: ${principal?.appId ?? principal?.objectId} and ObjectId: ${principal?.objectId} has GET permissions on secrets in the KeyVault Access Policies.`;
  if (!vault || !principal) return fail(accessMessage);
  const refusal = dataPlaneAccess(state, vault, principal, SECRET_READ_PERMISSION, { name: secretName }, { clientAddress: service.outboundIps[0] ?? '0.0.0.0', trustedService: service.trustedService });
  const stored = refusal ? undefined : findCertificate(vault, secretName);
  const bundle = stored ? secretBundle(vault, stored, version) : undefined;
  state.recordInternal({
    method: 'GET',
    host: `${vault.name.toLowerCase()}.vault.azure.net`,
    path: `/secrets/${secretName}${version ? `/${version}` : ''}`,
    query: {},
    status: refusal?.status ?? (bundle ? 200 : 404),
    ...(refusal ? { response: refusal.body } : {}),
    principalId: principal.objectId,
    via: `Microsoft.ApiManagement/service/${service.name}`,
  });
  if (!bundle?.version.der) return fail(accessMessage);
  const opened = bundle.body.contentType === 'application/x-pem-file' ? readPem(bundle.body.value) : readPfx(Buffer.from(bundle.body.value, 'base64'), '');
  if (!opened.ok || !opened.certificate.hasPrivateKey) return fail(`Certificate with id '${certificate.name}' does not contain private key.`, 'ValidationError');
  certificate.thumbprint = sha1(bundle.version.der).toString('hex').toUpperCase();
  certificate.expirationDate = bundle.version.exp !== undefined ? isoSeconds(bundle.version.exp) : undefined;
  certificate.subject = bundle.version.subject;
  reference.lastStatus = { code: 'Success', message: '', timeStampUtc: now };
  certificate.etag = newEtag();
  return { ok: true };
}

export const API_MANAGEMENT_ROUTES: readonly ArmRoute[] = [
  {
    method: 'GET',
    path: SERVICE,
    operation: `${DIR}/apimdeployment.json#ApiManagementService_Get`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/read', scope: serviceScope(p) }),
    handle: (context) => withService(context, (service) => json(200, serviceBody(context.state, service), { etag: serviceEtag(service) })),
  },
  {
    // Long-running (x-ms-long-running-operation): 201 + Azure-AsyncOperation. A new service gets a
    // system-assigned identity (a service principal APIM reads Key Vault as) and, on the classic tiers, the
    // sample Echo API and the Starter and Unlimited products, which azurerm deletes after creating it.
    method: 'PUT',
    path: SERVICE,
    operation: `${DIR}/apimdeployment.json#ApiManagementService_CreateOrUpdate`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/write', scope: serviceScope(p) }),
    handle: (context) => putService(context),
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/locations/{location}/deletedservices/{serviceName}',
    operation: `${DIR}/apimdeletedservices.json#DeletedServices_GetByName`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/deletedservices/read', scope: `/subscriptions/${p.subscriptionId}` }),
    // Nothing is ever soft-deleted here.
    handle: ({ params }) => armError(404, 'ResourceNotFound', `Api service ${params.serviceName} was not found in the list of deleted services in location ${params.location}.`),
  },
  ...settingsRoutes(),
  {
    method: 'GET',
    path: `${SERVICE}/certificates`,
    operation: `${DIR}/apimcertificates.json#Certificate_ListByService`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/certificates/read', scope: serviceScope(p) }),
    handle: (context) =>
      withService(context, (service) => {
        const failedOnly = context.request.query.isKeyVaultRefreshFailed === 'true';
        const value = [...service.certificates.values()].filter((c) => !failedOnly || (c.keyVault?.lastStatus && c.keyVault.lastStatus.code !== 'Success')).map((c) => certificateBody(service, c));
        return json(200, { value, count: value.length });
      }),
  },
  {
    method: 'GET',
    path: `${SERVICE}/certificates/{certificateId}`,
    operation: `${DIR}/apimcertificates.json#Certificate_Get`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/certificates/read', scope: serviceScope(p) }),
    handle: (context) =>
      withService(context, (service) => {
        const certificate = service.certificates.get(context.params.certificateId.toLowerCase());
        return certificate ? json(200, certificateBody(service, certificate), { etag: certificate.etag }) : entityNotFound('Certificate');
      }),
  },
  {
    // Key Vault form: { properties: { keyVault: { secretIdentifier, identityClientId } } }; APIM fetches at once.
    method: 'PUT',
    path: `${SERVICE}/certificates/{certificateId}`,
    operation: `${DIR}/apimcertificates.json#Certificate_CreateOrUpdate`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/certificates/write', scope: serviceScope(p) }),
    handle: (context) =>
      withService(context, (service) => {
        const input = context.body<{ properties?: { keyVault?: { secretIdentifier?: string; identityClientId?: string | null }; data?: string } }>();
        const keyVault = input?.properties?.keyVault;
        if (!keyVault?.secretIdentifier) return armError(400, 'ValidationError', 'azure-emulator: only Key Vault certificates (properties.keyVault.secretIdentifier) are emulated.');
        const id = context.params.certificateId.toLowerCase();
        const existing = service.certificates.get(id);
        const certificate: ApimCertificate = { name: context.params.certificateId, etag: newEtag(), keyVault: { secretIdentifier: keyVault.secretIdentifier, identityClientId: keyVault.identityClientId ?? null } };
        const fetched = fetchFromKeyVault(context.state, service, certificate);
        if (!fetched.ok) return fetched.response;
        service.certificates.set(id, certificate);
        return json(existing ? 200 : 201, certificateBody(service, certificate), { etag: certificate.etag });
      }),
  },
  {
    // Not long-running (no x-ms-long-running-operation); no body; 200 CertificateContract + ETag.
    method: 'POST',
    path: `${SERVICE}/certificates/{certificateId}/refreshSecret`,
    operation: `${DIR}/apimcertificates.json#Certificate_RefreshSecret`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/certificates/refreshSecret/action', scope: serviceScope(p) }),
    handle: (context) =>
      withService(context, (service) => {
        const certificate = service.certificates.get(context.params.certificateId.toLowerCase());
        if (!certificate) return entityNotFound('Certificate');
        if (!certificate.keyVault) return armError(400, 'ValidationError', 'Certificate is not a Key Vault certificate.');
        const fetched = fetchFromKeyVault(context.state, service, certificate);
        return fetched.ok ? json(200, certificateBody(service, certificate), { etag: certificate.etag }) : fetched.response;
      }),
  },
  {
    method: 'DELETE',
    path: `${SERVICE}/certificates/{certificateId}`,
    operation: `${DIR}/apimcertificates.json#Certificate_Delete`,
    namespace: NS,
    permission: (p) => ({ action: 'Microsoft.ApiManagement/service/certificates/delete', scope: serviceScope(p) }),
    handle: (context) =>
      withService(context, (service) => {
        const id = context.params.certificateId.toLowerCase();
        const certificate = service.certificates.get(id);
        if (!certificate) return { status: 204 };
        const refused = ifMatch(context, certificate.etag);
        if (refused) return refused;
        service.certificates.delete(id);
        return { status: 200 };
      }),
  },
  ...childRoutes('backends', 'apimbackends.json', 'Backend'),
  ...childRoutes('policyFragments', 'apimpolicyfragments.json', 'PolicyFragment'),
];

/** The service as ApiManagementService_Get returns it: what the last PUT sent, plus what APIM computes. */
function serviceBody(state: AzureState, service: ApimService) {
  const host = service.name.toLowerCase();
  const definition = service.definition;
  return {
    id: apimResourceId(service),
    name: service.name,
    type: 'Microsoft.ApiManagement/service',
    location: service.location,
    tags: service.tags,
    sku: service.sku,
    identity: { type: 'SystemAssigned', principalId: service.principalId, tenantId: state.tenantId },
    zones: null,
    properties: {
      // customProperties is always returned (the service fills in its defaults); azurerm dereferences it.
      customProperties: DEFAULT_CUSTOM_PROPERTIES,
      hostnameConfigurations: [],
      publicNetworkAccess: 'Enabled',
      virtualNetworkType: 'None',
      disableGateway: false,
      enableClientCertificate: false,
      ...definition,
      provisioningState: 'Succeeded',
      targetProvisioningState: '',
      createdAtUtc: service.createdAtUtc ?? new Date(state.now()).toISOString(),
      gatewayUrl: `https://${host}.azure-api.net`,
      gatewayRegionalUrl: `https://${host}-${service.location.toLowerCase().replace(/\s/g, '')}-01.regional.azure-api.net`,
      portalUrl: `https://${host}.portal.azure-api.net`,
      developerPortalUrl: `https://${host}.developer.azure-api.net`,
      managementApiUrl: `https://${host}.management.azure-api.net`,
      scmUrl: `https://${host}.scm.azure-api.net`,
      publicIPAddresses: service.outboundIps,
      privateIPAddresses: null,
      platformVersion: 'stv2',
      natGatewayState: 'Disabled',
    },
  };
}

const serviceEtag = (service: ApimService) => `"${Buffer.from(JSON.stringify([service.definition, service.tags, service.sku])).length.toString(16)}"`;

/** The security and protocol settings a new service has (customProperties keys as the service names them). */
const DEFAULT_CUSTOM_PROPERTIES: Record<string, string> = {
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'False',
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2': 'False',
};

/** Read-only members a client may echo back in a PUT; never stored as the service's definition. */
const READ_ONLY = ['provisioningState', 'targetProvisioningState', 'createdAtUtc', 'gatewayUrl', 'gatewayRegionalUrl', 'portalUrl', 'developerPortalUrl', 'managementApiUrl', 'scmUrl', 'publicIPAddresses', 'privateIPAddresses', 'platformVersion', 'natGatewayState'];

const SKUS = ['Developer', 'Basic', 'Standard', 'Premium', 'Consumption', 'BasicV2', 'StandardV2', 'PremiumV2', 'Isolated'];

function putService(context: ArmContext): EmulatorResponse {
  const { state, params } = context;
  const input = context.body<{ location?: string; tags?: Record<string, string>; sku?: { name?: string; capacity?: number }; identity?: { type?: string }; properties?: Record<string, unknown> }>() ?? {};
  if (!input.location) return armError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (!input.sku?.name || !SKUS.includes(input.sku.name)) return armError(400, 'ValidationError', `Invalid sku ${input.sku?.name}.`);
  const props = input.properties ?? {};
  if (!props.publisherEmail || !props.publisherName) return armError(400, 'ValidationError', 'publisherEmail and publisherName are required.');
  if (input.identity?.type && !/SystemAssigned/i.test(input.identity.type)) return armError(400, 'ValidationError', 'azure-emulator: only the system-assigned identity is emulated.');
  let service = state.apimService(params.subscriptionId, params.resourceGroupName, params.serviceName);
  const created = !service;
  if (!service) {
    // A public address of its own for each service (what Key Vault's firewall sees APIM at).
    const octet = 10 + state.apimServices.size;
    service = state.addApimService({ subscriptionId: params.subscriptionId, resourceGroup: params.resourceGroupName, name: params.serviceName, location: input.location, outboundIps: [`51.105.${octet}.2`] });
    service.createdAtUtc = new Date(state.now()).toISOString();
    if (!/Consumption|V2$/.test(input.sku.name)) {
      service.apis.set('echo-api', { displayName: 'Echo API', path: 'echo', protocols: ['https'], serviceUrl: 'http://echoapi.cloudapp.net/api', isCurrent: true, apiRevision: '1' });
      service.products.set('starter', { displayName: 'Starter', state: 'published', subscriptionRequired: true });
      service.products.set('unlimited', { displayName: 'Unlimited', state: 'published', subscriptionRequired: true });
    }
  }
  service.location = input.location;
  service.sku = { name: input.sku.name, capacity: input.sku.capacity ?? 1 };
  service.tags = input.tags ?? {};
  service.definition = Object.fromEntries(Object.entries(props).filter(([k, v]) => !READ_ONLY.includes(k) && v !== null && v !== undefined));
  return accepted(state, created ? 201 : 200, serviceBody(state, service), params.subscriptionId, NS, input.location);
}

/**
 * What azurerm reads and writes around a classic-tier service: the sign-in, sign-up and delegation portal
 * settings (apimportalsettings.json), the delegation validation key and tenant access secrets
 * (apimportalsettings.json#DelegationSettings_ListSecrets, apimtenant.json#TenantAccess_ListSecrets), the
 * global policy (apimpolicies.json#Policy_Get), and the APIs and products it lists and deletes after
 * creation (apimapis.json, apimproducts.json). azurerm 4.55.0 sends api-version 2022-08-01 for these; the
 * shapes are those of 2024-05-01. Secrets are random per service and never recorded.
 */
function settingsRoutes(): ArmRoute[] {
  const read = (p: Record<string, string>) => ({ action: 'Microsoft.ApiManagement/service/read', scope: serviceScope(p) });
  const write = (p: Record<string, string>) => ({ action: 'Microsoft.ApiManagement/service/write', scope: serviceScope(p) });
  const portal = (service: ApimService, name: string) =>
    service.settings.get(name) ??
    (name === 'signin'
      ? { enabled: false }
      : name === 'signup'
        ? { enabled: false, termsOfService: { enabled: false, consentRequired: false, text: '' } }
        : { url: null, subscriptions: { enabled: false }, userRegistration: { enabled: false } });
  const portalBody = (service: ApimService, name: string) => ({
    id: `${apimResourceId(service)}/portalsettings/${name}`,
    name,
    type: 'Microsoft.ApiManagement/service/portalsettings',
    properties: portal(service, name),
  });
  const listOf = (service: ApimService, type: 'apis' | 'products') => {
    const value = [...service[type].entries()].map(([id, properties]) => ({ id: `${apimResourceId(service)}/${type}/${id}`, name: id, type: `Microsoft.ApiManagement/service/${type}`, properties }));
    return json(200, { value, count: value.length });
  };
  const remove = (type: 'apis' | 'products') => (context: ArmContext) =>
    withService(context, (service) => (service[type].delete(context.params.childId.toLowerCase()) ? { status: 200 } : { status: 204 }));
  return [
    ...['signin', 'signup', 'delegation'].flatMap((name): ArmRoute[] => [
      {
        method: 'GET',
        path: `${SERVICE}/portalsettings/${name}`,
        operation: `${DIR}/apimportalsettings.json#${name === 'signin' ? 'SignInSettings' : name === 'signup' ? 'SignUpSettings' : 'DelegationSettings'}_Get`,
        namespace: NS,
        permission: read,
        handle: (context) => withService(context, (service) => json(200, portalBody(service, name), { etag: '"portal"' })),
      },
      {
        method: 'PUT',
        path: `${SERVICE}/portalsettings/${name}`,
        operation: `${DIR}/apimportalsettings.json#${name === 'signin' ? 'SignInSettings' : name === 'signup' ? 'SignUpSettings' : 'DelegationSettings'}_CreateOrUpdate`,
        namespace: NS,
        permission: write,
        handle: (context) =>
          withService(context, (service) => {
            const { validationKey: _key, ...properties } = context.body<{ properties?: Record<string, unknown> }>()?.properties ?? {};
            service.settings.set(name, properties);
            return json(200, portalBody(service, name), { etag: '"portal"' });
          }),
      },
    ]),
    {
      method: 'POST',
      path: `${SERVICE}/portalsettings/delegation/listSecrets`,
      operation: `${DIR}/apimportalsettings.json#DelegationSettings_ListSecrets`,
      namespace: NS,
      permission: (p) => ({ action: 'Microsoft.ApiManagement/service/portalsettings/listSecrets/action', scope: serviceScope(p) }),
      handle: (context) => withService(context, () => json(200, { validationKey: crypto.randomBytes(64).toString('base64') })),
    },
    {
      method: 'POST',
      path: `${SERVICE}/tenant/{accessName}/listSecrets`,
      operation: `${DIR}/apimtenant.json#TenantAccess_ListSecrets`,
      namespace: NS,
      permission: (p) => ({ action: 'Microsoft.ApiManagement/service/tenant/listSecrets/action', scope: serviceScope(p) }),
      handle: (context) =>
        withService(context, () =>
          json(200, { id: context.params.accessName, principalId: 'integration', primaryKey: crypto.randomBytes(48).toString('base64'), secondaryKey: crypto.randomBytes(48).toString('base64'), enabled: false }),
        ),
    },
    {
      method: 'GET',
      path: `${SERVICE}/policies/policy`,
      operation: `${DIR}/apimpolicies.json#Policy_Get`,
      namespace: NS,
      permission: read,
      handle: (context) =>
        withService(context, (service) =>
          json(200, {
            id: `${apimResourceId(service)}/policies/policy`,
            type: 'Microsoft.ApiManagement/service/policies',
            name: 'policy',
            properties: { format: 'xml', value: '<policies>\r\n\t<inbound />\r\n\t<backend>\r\n\t\t<forward-request />\r\n\t</backend>\r\n\t<outbound />\r\n</policies>' },
          }),
        ),
    },
    { method: 'GET', path: `${SERVICE}/apis`, operation: `${DIR}/apimapis.json#Api_ListByService`, namespace: NS, permission: read, handle: (context) => withService(context, (service) => listOf(service, 'apis')) },
    { method: 'GET', path: `${SERVICE}/products`, operation: `${DIR}/apimproducts.json#Product_ListByService`, namespace: NS, permission: read, handle: (context) => withService(context, (service) => listOf(service, 'products')) },
    // azurerm deletes these without If-Match (api/product DeleteOperationOptions leave it unset).
    { method: 'DELETE', path: `${SERVICE}/apis/{childId}`, operation: `${DIR}/apimapis.json#Api_Delete`, namespace: NS, permission: write, handle: remove('apis') },
    { method: 'DELETE', path: `${SERVICE}/products/{childId}`, operation: `${DIR}/apimproducts.json#Product_Delete`, namespace: NS, permission: write, handle: remove('products') },
  ];
}

/** JSON merge of a PATCH into stored properties: objects merge recursively, arrays and scalars replace. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const current = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && current && typeof current === 'object' && !Array.isArray(current) ? merge(current as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** GET / PUT / PATCH (If-Match required) / DELETE of a simple child collection (backends, policyFragments). */
function childRoutes(type: 'backends' | 'policyFragments', file: string, prefix: string): ArmRoute[] {
  const path = `${SERVICE}/${type}/{childId}`;
  const action = (verb: string) => (p: Record<string, string>) => ({ action: `Microsoft.ApiManagement/service/${type}/${verb}`, scope: serviceScope(p) });
  const collection = (service: ApimService) => service[type];
  const label = type === 'backends' ? 'Backend' : 'PolicyFragment';
  return [
    {
      method: 'GET',
      path,
      operation: `${DIR}/${file}#${prefix}_Get`,
      namespace: NS,
      permission: action('read'),
      handle: (context) =>
        withService(context, (service) => {
          const child = collection(service).get(context.params.childId.toLowerCase());
          return child ? json(200, childBody(service, type, context.params.childId, child.properties), { etag: child.etag }) : entityNotFound(label);
        }),
    },
    {
      method: 'PUT',
      path,
      operation: `${DIR}/${file}#${prefix}_CreateOrUpdate`,
      namespace: NS,
      permission: action('write'),
      handle: (context) =>
        withService(context, (service) => {
          const id = context.params.childId.toLowerCase();
          const existing = collection(service).get(id);
          const match = header(context.request, 'if-match');
          if (existing && match !== undefined && match !== '*' && match !== existing.etag) return armError(412, 'PreconditionFailed', 'The specified entity tag (If-Match header) does not match the current one.');
          const child = { properties: context.body<{ properties?: Record<string, unknown> }>()?.properties ?? {}, etag: newEtag() };
          collection(service).set(id, child);
          const body = childBody(service, type, context.params.childId, child.properties);
          // PolicyFragment_CreateOrUpdate is long-running (x-ms-long-running-operation, Azure-AsyncOperation on
          // 200/201); Backend_CreateOrUpdate is not.
          if (type === 'policyFragments') {
            const started = accepted(context.state, existing ? 200 : 201, body, context.params.subscriptionId, NS, service.location);
            return { ...started, headers: { ...started.headers, etag: child.etag } };
          }
          return json(existing ? 200 : 201, body, { etag: child.etag });
        }),
    },
    {
      // Backend_Update: BackendUpdateParameters { properties }, If-Match required (`*` allowed), 200 + ETag.
      method: 'PATCH',
      path,
      operation: `${DIR}/${file}#${prefix}_Update`,
      namespace: NS,
      permission: action('write'),
      handle: (context) =>
        withService(context, (service) => {
          const child = collection(service).get(context.params.childId.toLowerCase());
          if (!child) return entityNotFound(label);
          const refused = ifMatch(context, child.etag);
          if (refused) return refused;
          child.properties = merge(child.properties, context.body<{ properties?: Record<string, unknown> }>()?.properties ?? {});
          child.etag = newEtag();
          return json(200, childBody(service, type, context.params.childId, child.properties), { etag: child.etag });
        }),
    },
    {
      method: 'DELETE',
      path,
      operation: `${DIR}/${file}#${prefix}_Delete`,
      namespace: NS,
      permission: action('delete'),
      handle: (context) =>
        withService(context, (service) => {
          const id = context.params.childId.toLowerCase();
          const child = collection(service).get(id);
          if (!child) return { status: 204 };
          const refused = ifMatch(context, child.etag);
          if (refused) return refused;
          collection(service).delete(id);
          return { status: 200 };
        }),
    },
  ];
}
