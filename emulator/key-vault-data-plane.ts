import crypto from 'node:crypto';
import { VAULT_AUDIENCES, type EntraId } from './entra-id';
import { json, jsonBody, matchPath, unixSeconds, type EmulatorRequest, type EmulatorResponse, type RequestContext } from './http-exchange';
import {
  addImportedVersion,
  certificateBundle,
  certificateItem,
  findCertificate,
  latestVersion,
  makeCsr,
  newVersionId,
  policyBody,
  readImportValue,
  recovery,
  vaultBaseUrl,
  type ImportInput,
} from './key-vault-certificates';
import { dataPlaneAccess, kvError, type DataPermission } from './key-vault-access';
import { reachesPrivately } from './network';
import type { AzureState, Principal, StoredCertificate, Vault } from './state';

/**
 * The Key Vault data plane on https://{vault}.vault.azure.net. Specs:
 * specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json and .../7.5/secrets.json.
 * Every request passes, in order: the bearer challenge (401 with WWW-Authenticate, how the SDK discovers the
 * tenant and resource), the firewall (403 ForbiddenByFirewall), then RBAC or access policies (403
 * ForbiddenByRbac / AccessDenied), see key-vault-access.ts.
 */
const CERTS = 'specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json';
const SECRETS = 'specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/secrets.json';

const certificateNotFound = (name: string) =>
  kvError(404, 'CertificateNotFound', `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

interface DataPlaneContext {
  readonly request: EmulatorRequest;
  readonly params: Record<string, string>;
  readonly vault: Vault;
  readonly state: AzureState;
  readonly principal: Principal;
  readonly body: unknown;
}

interface DataPlaneRoute {
  readonly method: string;
  readonly path: string;
  /** spec#operationId */
  readonly operation: string;
  readonly permission: DataPermission;
  readonly handle: (context: DataPlaneContext) => EmulatorResponse;
}

const certificateScope = (p: Record<string, string>) => `certificates/${p.name}`;

function findOr404(vault: Vault, name: string): StoredCertificate | EmulatorResponse {
  return findCertificate(vault, name) ?? certificateNotFound(name);
}
const isResponse = (value: unknown): value is EmulatorResponse => typeof value === 'object' && value !== null && 'status' in value && !('versions' in value);

/** Pages `items` the Key Vault way: `maxresults` (at most 25) and a `nextLink` carrying `$skiptoken`. */
function page(request: EmulatorRequest, vault: Vault, items: unknown[]) {
  const max = Math.min(Number(request.query.maxresults ?? 25) || 25, 25);
  const skip = Number(request.query.$skiptoken ?? 0) || 0;
  const value = items.slice(skip, skip + max);
  const more = skip + max < items.length;
  const next = new URL(`${vaultBaseUrl(vault)}:443${request.path}`);
  for (const [k, v] of Object.entries(request.query)) if (k !== '$skiptoken') next.searchParams.set(k, v);
  next.searchParams.set('$skiptoken', String(skip + max));
  return { value, nextLink: more ? next.toString() : null };
}

const ROUTES: readonly DataPlaneRoute[] = [
  // Contacts and the collection come before /certificates/{name} so that "contacts" is not a certificate name.
  {
    method: 'PUT',
    path: '/certificates/contacts',
    operation: `${CERTS}#SetCertificateContacts`,
    // The RBAC data action for contacts is certificatecontacts/write (Certificates Officer); reads use it too
    // here, NOT CONFIRMED.
    permission: { action: 'Microsoft.KeyVault/vaults/certificatecontacts/write', policy: ['certificates', 'managecontacts'] },
    handle: ({ vault, body }) => {
      vault.contacts = (body as { contacts?: { email?: string; name?: string; phone?: string }[] } | undefined)?.contacts ?? [];
      return json(200, { id: `${vaultBaseUrl(vault)}/certificates/contacts`, contacts: vault.contacts });
    },
  },
  {
    method: 'GET',
    path: '/certificates/contacts',
    operation: `${CERTS}#GetCertificateContacts`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificatecontacts/write', policy: ['certificates', 'getissuers'] },
    handle: ({ vault }) =>
      vault.contacts ? json(200, { id: `${vaultBaseUrl(vault)}/certificates/contacts`, contacts: vault.contacts }) : kvError(404, 'ContactsNotFound', 'Contacts not found'),
  },
  {
    method: 'DELETE',
    path: '/certificates/contacts',
    operation: `${CERTS}#DeleteCertificateContacts`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificatecontacts/write', policy: ['certificates', 'managecontacts'] },
    handle: ({ vault }) => {
      const contacts = vault.contacts ?? [];
      vault.contacts = undefined;
      return json(200, { id: `${vaultBaseUrl(vault)}/certificates/contacts`, contacts });
    },
  },
  {
    // az keyvault certificate list (maxresults, includePending).
    method: 'GET',
    path: '/certificates',
    operation: `${CERTS}#GetCertificates`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'list'] },
    handle: ({ vault, request }) => {
      const includePending = request.query.includePending === 'true';
      const items = [...vault.certificates.values()]
        .map((c) => ({ c, v: latestVersion(c) }))
        .filter(({ v }) => v && (v.status === 'completed' || includePending))
        .map(({ c, v }) => certificateItem(vault, c, v!, false));
      return json(200, page(request, vault, items));
    },
  },
  {
    method: 'GET',
    path: '/certificates/{name}/versions',
    operation: `${CERTS}#GetCertificateVersions`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'list'], object: certificateScope },
    handle: ({ vault, params, request }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      return json(200, page(request, vault, found.versions.map((v) => certificateItem(vault, found, v, true))));
    },
  },
  {
    // az keyvault certificate import: each import is a new version.
    method: 'POST',
    path: '/certificates/{name}/import',
    operation: `${CERTS}#ImportCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/import/action', policy: ['certificates', 'import'], object: certificateScope },
    handle: ({ vault, params, body, state }) => {
      if (!/^[0-9a-zA-Z-]{1,127}$/.test(params.name)) return kvError(400, 'BadParameter', `The request URI contains an invalid name: ${params.name}`);
      if (vault.deletedCertificates.has(params.name.toLowerCase())) return deletedConflict(params.name);
      const input = (body ?? {}) as ImportInput;
      if (!input.value) return kvError(400, 'BadParameter', 'Property value is required.');
      const read = readImportValue(input);
      if (!read.ok) return kvError(400, 'BadParameter', read.message);
      if (!read.read.hasPrivateKey) return kvError(400, 'BadParameter', 'Private key is not specified in the specified X.509 certificate content. Please specify private key in the X.509 certificate content.');
      const { certificate, version } = addImportedVersion(vault, params.name, input, read.read, read.contentType, state.now());
      certificate.pending = undefined;
      return json(200, certificateBundle(vault, certificate, version));
    },
  },
  {
    // issuer Unknown leaves a pending version (status inProgress, no cer) until a merge; issuer Self signs now.
    method: 'POST',
    path: '/certificates/{name}/create',
    operation: `${CERTS}#CreateCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/create/action', policy: ['certificates', 'create'], object: certificateScope },
    handle: ({ vault, params, body, state }) => createCertificate(vault, params.name, (body ?? {}) as { policy?: Record<string, unknown>; tags?: Record<string, string> }, state),
  },
  {
    method: 'GET',
    path: '/certificates/{name}/pending',
    operation: `${CERTS}#GetCertificateOperation`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'get'], object: certificateScope },
    handle: ({ vault, params }) => {
      const found = findCertificate(vault, params.name);
      return found?.pending ? json(200, found.pending) : kvError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${params.name}`);
    },
  },
  {
    method: 'DELETE',
    path: '/certificates/{name}/pending',
    operation: `${CERTS}#DeleteCertificateOperation`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/update/action', policy: ['certificates', 'update'], object: certificateScope },
    handle: ({ vault, params }) => {
      const found = findCertificate(vault, params.name);
      if (!found?.pending) return kvError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${params.name}`);
      const operation = found.pending;
      found.pending = undefined;
      const index = found.versions.findIndex((v) => v.status === 'inProgress');
      if (index >= 0) found.versions.splice(index, 1);
      if (found.versions.length === 0) vault.certificates.delete(found.name.toLowerCase());
      return json(200, operation);
    },
  },
  {
    method: 'GET',
    path: '/certificates/{name}/policy',
    operation: `${CERTS}#GetCertificatePolicy`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'get'], object: certificateScope },
    handle: ({ vault, params }) => {
      const found = findOr404(vault, params.name);
      return isResponse(found) ? found : json(200, policyBody(vault, found));
    },
  },
  {
    method: 'PATCH',
    path: '/certificates/{name}/policy',
    operation: `${CERTS}#UpdateCertificatePolicy`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/update/action', policy: ['certificates', 'update'], object: certificateScope },
    handle: ({ vault, params, body, state }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      const { id: _id, attributes: _attributes, ...members } = (body ?? {}) as Record<string, unknown>;
      found.policy = { ...found.policy, ...members };
      found.policyUpdated = unixSeconds(state.now());
      return json(200, policyBody(vault, found));
    },
  },
  {
    // az keyvault certificate show (GET .../{name}/ with an empty version = latest) and show --version.
    method: 'GET',
    path: '/certificates/{name}/{version}',
    operation: `${CERTS}#GetCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'get'], object: certificateScope },
    handle: ({ vault, params }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      const version = params.version ? found.versions.find((v) => v.version === params.version.toLowerCase()) : latestVersion(found);
      return version ? json(200, certificateBundle(vault, found, version)) : certificateNotFound(`${params.name}/${params.version}`);
    },
  },
  {
    method: 'GET',
    path: '/certificates/{name}',
    operation: `${CERTS}#GetCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'get'], object: certificateScope },
    handle: ({ vault, params }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      const version = latestVersion(found);
      return version ? json(200, certificateBundle(vault, found, version)) : certificateNotFound(params.name);
    },
  },
  {
    // UpdateCertificate: "the only elements updated are the certificate's attributes" (plus tags/policy).
    method: 'PATCH',
    path: '/certificates/{name}/{version}',
    operation: `${CERTS}#UpdateCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/update/action', policy: ['certificates', 'update'], object: certificateScope },
    handle: ({ vault, params, body, state }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      const version = params.version ? found.versions.find((v) => v.version === params.version.toLowerCase()) : latestVersion(found);
      if (!version) return certificateNotFound(`${params.name}/${params.version}`);
      const input = (body ?? {}) as { attributes?: { enabled?: boolean }; tags?: Record<string, string>; policy?: Record<string, unknown> };
      if (input.attributes?.enabled !== undefined) version.enabled = input.attributes.enabled;
      if (input.tags) version.tags = input.tags;
      if (input.policy) {
        found.policy = { ...found.policy, ...input.policy };
        found.policyUpdated = unixSeconds(state.now());
      }
      version.updated = unixSeconds(state.now());
      return json(200, certificateBundle(vault, found, version));
    },
  },
  {
    method: 'DELETE',
    path: '/certificates/{name}',
    operation: `${CERTS}#DeleteCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/delete', policy: ['certificates', 'delete'], object: certificateScope },
    handle: ({ vault, params, state }) => {
      const found = findOr404(vault, params.name);
      if (isResponse(found)) return found;
      vault.certificates.delete(found.name.toLowerCase());
      const deletedDate = unixSeconds(state.now());
      const deleted = { certificate: found, deletedDate, scheduledPurgeDate: deletedDate + vault.properties.softDeleteRetentionInDays * 86400 };
      if (vault.properties.enableSoftDelete !== false) vault.deletedCertificates.set(found.name.toLowerCase(), deleted);
      return json(200, deletedBundle(vault, deleted));
    },
  },
  {
    method: 'GET',
    path: '/deletedcertificates',
    operation: `${CERTS}#GetDeletedCertificates`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'list'] },
    handle: ({ vault, request }) => {
      const items = [...vault.deletedCertificates.values()].map((d) => {
        const version = latestVersion(d.certificate)!;
        return { ...certificateItem(vault, d.certificate, version, false), recoveryId: `${vaultBaseUrl(vault)}/deletedcertificates/${d.certificate.name}`, deletedDate: d.deletedDate, scheduledPurgeDate: d.scheduledPurgeDate };
      });
      return json(200, page(request, vault, items));
    },
  },
  {
    method: 'GET',
    path: '/deletedcertificates/{name}',
    operation: `${CERTS}#GetDeletedCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/read', policy: ['certificates', 'get'], object: certificateScope },
    handle: ({ vault, params }) => {
      const deleted = vault.deletedCertificates.get(params.name.toLowerCase());
      return deleted ? json(200, deletedBundle(vault, deleted)) : kvError(404, 'CertificateNotFound', `Deleted Certificate not found: ${params.name}`);
    },
  },
  {
    method: 'POST',
    path: '/deletedcertificates/{name}/recover',
    operation: `${CERTS}#RecoverDeletedCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/recover/action', policy: ['certificates', 'recover'], object: certificateScope },
    handle: ({ vault, params }) => {
      const deleted = vault.deletedCertificates.get(params.name.toLowerCase());
      if (!deleted) return kvError(404, 'CertificateNotFound', `Deleted Certificate not found: ${params.name}`);
      vault.deletedCertificates.delete(params.name.toLowerCase());
      vault.certificates.set(deleted.certificate.name.toLowerCase(), deleted.certificate);
      return json(200, certificateBundle(vault, deleted.certificate, latestVersion(deleted.certificate)!));
    },
  },
  {
    method: 'DELETE',
    path: '/deletedcertificates/{name}',
    operation: `${CERTS}#PurgeDeletedCertificate`,
    permission: { action: 'Microsoft.KeyVault/vaults/certificates/purge/action', policy: ['certificates', 'purge'], object: certificateScope },
    handle: ({ vault, params }) => {
      if (!vault.deletedCertificates.has(params.name.toLowerCase())) return kvError(404, 'CertificateNotFound', `Deleted Certificate not found: ${params.name}`);
      if (vault.properties.enablePurgeProtection) {
        return kvError(403, 'Forbidden', `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: ${vault.name};location=${vault.location}`, 'PurgeProtectionEnabled');
      }
      vault.deletedCertificates.delete(params.name.toLowerCase());
      return { status: 204 };
    },
  },
  {
    // What APIM (and anyone exporting the PFX) reads: the certificate's backing secret.
    method: 'GET',
    path: '/secrets/{name}/{version}',
    operation: `${SECRETS}#GetSecret`,
    permission: { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', policy: ['secrets', 'get'], object: (p) => `secrets/${p.name}` },
    handle: ({ vault, params }) => secretResponse(vault, params.name, params.version),
  },
  {
    method: 'GET',
    path: '/secrets/{name}',
    operation: `${SECRETS}#GetSecret`,
    permission: { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', policy: ['secrets', 'get'], object: (p) => `secrets/${p.name}` },
    handle: ({ vault, params }) => secretResponse(vault, params.name, ''),
  },
];

const deletedConflict = (name: string) =>
  kvError(409, 'Conflict', `Certificate ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');

function deletedBundle(vault: Vault, deleted: { certificate: StoredCertificate; deletedDate: number; scheduledPurgeDate: number }) {
  return {
    recoveryId: `${vaultBaseUrl(vault)}/deletedcertificates/${deleted.certificate.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
    ...certificateBundle(vault, deleted.certificate, latestVersion(deleted.certificate)!),
  };
}

/** SecretBundle of a certificate's backing secret (`managed: true`, `kid` set), per the GetSecret example. */
export function secretBundle(vault: Vault, certificate: StoredCertificate, versionId: string) {
  const version = versionId ? certificate.versions.find((v) => v.version === versionId.toLowerCase()) : latestVersion(certificate);
  if (!version || version.status !== 'completed' || !version.secretValue) return undefined;
  const base = vaultBaseUrl(vault);
  return {
    version,
    body: {
      value: version.secretValue,
      contentType: version.contentType,
      id: `${base}/secrets/${certificate.name}/${version.version}`,
      managed: true,
      kid: `${base}/keys/${certificate.name}/${version.version}`,
      attributes: { enabled: version.enabled, nbf: version.nbf, exp: version.exp, created: version.created, updated: version.updated, ...recovery(vault) },
      ...(version.tags ? { tags: version.tags } : {}),
    },
  };
}

function secretResponse(vault: Vault, name: string, version: string): EmulatorResponse {
  const certificate = findCertificate(vault, name);
  const bundle = certificate ? secretBundle(vault, certificate, version) : undefined;
  if (!bundle) {
    return kvError(404, 'SecretNotFound', `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
  }
  if (!bundle.version.enabled) return kvError(403, 'Forbidden', `Operation get is not allowed on a disabled secret.`, 'SecretDisabled');
  return json(200, bundle.body);
}

function createCertificate(vault: Vault, name: string, input: { policy?: Record<string, unknown>; tags?: Record<string, string> }, state: AzureState): EmulatorResponse {
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return kvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
  if (vault.deletedCertificates.has(name.toLowerCase())) return deletedConflict(name);
  const existing = findCertificate(vault, name);
  const policy = { ...(existing?.policy ?? {}), ...(input.policy ?? {}) } as Record<string, unknown>;
  const issuer = ((policy.issuer as { name?: string } | undefined)?.name ?? 'Unknown');
  const subject = ((policy.x509_props as { subject?: string } | undefined)?.subject ?? '');
  if (!subject) return kvError(400, 'BadParameter', 'Property policy.x509_props.subject is required.');
  if (issuer.toLowerCase() === 'self') {
    // Not needed by the product's flows; the emulator does not sign certificates itself.
    return kvError(400, 'BadParameter', 'azure-emulator: issuer Self is not emulated; import a PFX instead.');
  }
  if (existing?.pending) return kvError(409, 'Conflict', `There is already a pending operation for certificate ${name}.`, 'PendingCertificateOperationExists');
  const now = unixSeconds(state.now());
  const certificate = existing ?? { name, versions: [], policy, policyCreated: now, policyUpdated: now };
  certificate.policy = policy;
  certificate.policyUpdated = now;
  if (input.tags) certificate.tags = input.tags;
  vault.certificates.set(name.toLowerCase(), certificate);
  certificate.versions.push({ version: newVersionId(), status: 'inProgress', created: now, updated: now, enabled: false, contentType: ((policy.secret_props as { contentType?: string } | undefined)?.contentType ?? 'application/x-pkcs12'), tags: input.tags });
  certificate.pending = {
    id: `${vaultBaseUrl(vault)}/certificates/${name}/pending`,
    issuer: { name: issuer },
    csr: makeCsr(subject, policy.key_props as { kty?: string; key_size?: number; crv?: string }),
    cancellation_requested: false,
    status: 'inProgress',
    status_details: 'Pending certificate created. Please Perform Merge to complete the request.',
    request_id: crypto.randomBytes(16).toString('hex'),
  };
  return json(202, certificate.pending);
}

export const SECRET_READ_PERMISSION = ROUTES.find((r) => r.path === '/secrets/{name}/{version}')!.permission;

export function createKeyVaultDataPlane(state: AzureState, entra: EntraId) {
  return (request: EmulatorRequest, context: RequestContext): EmulatorResponse => {
    const vaultName = request.host.split('.')[0];
    const vault = state.vaultByName(vaultName);
    // The proxy refuses CONNECT to an unknown vault (as DNS would fail); this is a safety net.
    if (!vault) return kvError(404, 'VaultNotFound', `Vault ${vaultName} not found (azure-emulator).`);
    const challenge = { 'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${state.tenantId}", resource="https://vault.azure.net"` };
    const auth = entra.authenticate(request, VAULT_AUDIENCES);
    if (!auth.ok) {
      const message =
        auth.reason === 'missing' ? 'AKV10000: Request is missing a Bearer or PoP token.'
        : auth.reason === 'audience' ? `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${auth.audience}.`
        : auth.reason === 'expired' ? 'AKV10032: Token expired.'
        : 'AKV10000: Invalid bearer token.';
      return kvError(401, 'Unauthorized', message, undefined, challenge);
    }
    const principal = auth.token.principal;
    context.principalId = principal.objectId;
    if (!request.query['api-version']) return kvError(400, 'BadParameter', 'The api-version query parameter is missing.');
    for (const route of ROUTES) {
      if (route.method !== request.method) continue;
      const params = matchPath(route.path, request.path);
      if (!params) continue;
      const refusal = dataPlaneAccess(state, vault, principal, route.permission, params, { clientAddress: state.clientAddress, privately: reachesPrivately(state, vault) });
      if (refusal) return refusal;
      let body: unknown;
      try {
        body = jsonBody(request);
      } catch {
        return kvError(400, 'BadParameter', 'The request body is not valid JSON.');
      }
      return route.handle({ request, params, vault, state, principal, body });
    }
    return kvError(400, 'BadParameter', `azure-emulator: ${request.method} ${request.path} is not an emulated Key Vault operation.`);
  };
}
