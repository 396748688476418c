import { armError, resourceNotFound } from './arm-errors';
import { header, json, type EmulatorResponse } from './http-exchange';
import { findCertificate } from './key-vault-certificates';
import { dataPlaneAccess } from './key-vault-access';
import { SECRET_READ_PERMISSION, secretBundle } from './key-vault-data-plane';
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
    handle: (context) =>
      withService(context, (service) =>
        json(200, {
          id: apimResourceId(service),
          name: service.name,
          type: 'Microsoft.ApiManagement/service',
          location: service.location,
          sku: { name: 'Developer', capacity: 1 },
          identity: { type: 'SystemAssigned', principalId: service.principalId, tenantId: context.state.tenantId },
          properties: { provisioningState: 'Succeeded', publicIPAddresses: service.outboundIps, gatewayUrl: `https://${service.name}.azure-api.net` },
        }),
      ),
  },
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
          return json(existing ? 200 : 201, childBody(service, type, context.params.childId, child.properties), { etag: child.etag });
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
