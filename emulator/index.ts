import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { API_MANAGEMENT_ROUTES } from './api-management';
import { DEFAULT_AZ_VERSIONS, seedAzConfigDir, type AzCliVersions } from './az-config';
import { createCertificateAuthority } from './certificate-authority';
import { createCliVersionCheck } from './cli-version-check';
import { EntraId } from './entra-id';
import { json, type EmulatorRequest, type EmulatorResponse, type RecordedRequest, type RequestContext } from './http-exchange';
import { createKeyVaultDataPlane } from './key-vault-data-plane';
import { KEY_VAULT_MANAGEMENT_ROUTES } from './key-vault-management';
import { ROLE_ASSIGNMENT_ROUTES } from './authorization';
import { EVENT_GRID_ROUTES } from './event-grid';
import { ASYNC_OPERATION_ROUTES } from './long-running-operations';
import { NETWORK_ROUTES } from './network';
import { startProxy } from './proxy';
import { createResourceManager, RESOURCE_ROUTES } from './resource-manager';
import { AzureState } from './state';

export type { RecordedRequest } from './http-exchange';
export { AzureState } from './state';
export { seedPrivateDnsZone, seedVirtualNetwork } from './network';
export { encodeJwt, decodeJwt } from './entra-id';

export interface AzureEmulatorOptions {
  /** How long a new role assignment takes to be enforced (Key Vault data plane and ARM). Default 0. */
  readonly rbacDelayMs?: number;
  /** The public address the emulated Azure sees az at (what the Key Vault firewall checks). */
  readonly clientAddress?: string;
  readonly tenantId?: string;
  /** Clock for tokens, RBAC propagation and timestamps; defaults to Date.now. */
  readonly now?: () => number;
  /** The az version the config dir is seeded for (and the version check answers with). */
  readonly azVersions?: AzCliVersions;
}

export interface AzureEmulator {
  /**
   * Environment for az (merge over a clean base with `azEnvironment`): proxy on loopback, the test CA as the
   * only trusted root, a private AZURE_CONFIG_DIR, telemetry and survey off.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly state: AzureState;
  /** Every exchange, in order, including refused CONNECTs (status 502) to hosts that are not emulated. */
  readonly requests: RecordedRequest[];
  readonly entra: EntraId;
  readonly configDir: string;
  stop(): Promise<void>;
}

const FIXED_HOSTS = ['login.microsoftonline.com', 'management.azure.com', 'graph.microsoft.com', 'azcliprod.blob.core.windows.net'];

/** The environment variables an emulated az run must not inherit from the machine (credentials, clouds, proxies). */
const INHERITED_BLOCKLIST = /^(AZURE_|ARM_|MSI_|IDENTITY_|ACTIONS_ID_TOKEN|SYSTEM_ACCESSTOKEN|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$|SSL_CERT_(FILE|DIR)$|NODE_EXTRA_CA_CERTS$)/i;

/** `base` without anything Azure- or proxy-related, plus the emulator's variables. */
export function azEnvironment(emulator: Pick<AzureEmulator, 'env'>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(base).filter(([name]) => !INHERITED_BLOCKLIST.test(name)));
  return { ...clean, ...emulator.env };
}

function parseBody(request: EmulatorRequest): unknown {
  if (request.rawBody.length === 0) return undefined;
  const text = request.rawBody.toString('utf8');
  const type = String(request.headers['content-type'] ?? '');
  if (type.includes('x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(text));
    // Never keep secrets in the record: assertions and secrets are replaced by their length.
    for (const k of ['client_secret', 'client_assertion']) if (form[k]) form[k] = `<${form[k].length} chars>`;
    return form;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    // ImportCertificate's PFX password: recorded as present, never as its value.
    if (parsed && typeof parsed === 'object' && typeof (parsed as { pwd?: unknown }).pwd === 'string') return { ...parsed, pwd: '<redacted>' };
    return parsed;
  } catch {
    return text;
  }
}

/** Members of a response that hold a secret: recorded by their length only. */
const SECRET_RESPONSE_MEMBERS = ['access_token', 'validationKey', 'primaryKey', 'secondaryKey'];

function responseBody(request: EmulatorRequest, response: EmulatorResponse): unknown {
  if (Buffer.isBuffer(response.body)) return `<${response.body.length} bytes>`;
  const body = response.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const redacted: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const member of SECRET_RESPONSE_MEMBERS) if (typeof redacted[member] === 'string') redacted[member] = `<${(redacted[member] as string).length} chars>`;
  // GetSecret: a certificate's secret is its PFX (or PEM) with the private key, without a password.
  if (request.host.endsWith('.vault.azure.net') && /^\/secrets\//i.test(request.path) && typeof redacted.value === 'string') redacted.value = `<${(redacted.value as string).length} chars>`;
  return redacted;
}

/**
 * Starts the emulated Azure: an HTTPS-terminating CONNECT proxy on 127.0.0.1 in front of Entra ID, ARM
 * (subscriptions, providers, resource groups, Key Vault vaults, role assignments, API Management, private
 * endpoints, Event Grid system topics, asynchronous operations) and the Key Vault data plane, sharing one
 * `state`. Clients: the az CLI (Python) and Terraform's azurerm provider (Go), both through HTTPS_PROXY and
 * the test CA (SSL_CERT_FILE).
 */
export async function startAzureEmulator(options: AzureEmulatorOptions = {}): Promise<AzureEmulator> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-emulator-'));
  const ca = createCertificateAuthority(path.join(workDir, 'ca'));
  const configDir = path.join(workDir, 'azure-config');
  const azVersions = options.azVersions ?? DEFAULT_AZ_VERSIONS;
  seedAzConfigDir(configDir, azVersions);

  const state = new AzureState({
    tenantId: options.tenantId ?? crypto.randomUUID(),
    clientAddress: options.clientAddress ?? '20.50.60.70',
    rbacDelayMs: options.rbacDelayMs ?? 0,
    now: options.now ?? Date.now,
  });
  const entra = new EntraId(state);
  const arm = createResourceManager(state, entra, [
    ...RESOURCE_ROUTES,
    ...ASYNC_OPERATION_ROUTES,
    ...KEY_VAULT_MANAGEMENT_ROUTES,
    ...API_MANAGEMENT_ROUTES,
    ...ROLE_ASSIGNMENT_ROUTES,
    ...NETWORK_ROUTES,
    ...EVENT_GRID_ROUTES,
  ]);
  const keyVault = createKeyVaultDataPlane(state, entra);
  const versionCheck = createCliVersionCheck(azVersions);
  const requests: RecordedRequest[] = [];
  state.recordInternal = (entry) => requests.push(entry);

  const service = (host: string): ((request: EmulatorRequest, context: RequestContext) => EmulatorResponse | Promise<EmulatorResponse>) => {
    if (host === 'login.microsoftonline.com') return entra.handle;
    if (host === 'management.azure.com') return arm;
    if (host.endsWith('.vault.azure.net')) return keyVault;
    if (host === 'azcliprod.blob.core.windows.net') return versionCheck;
    return () => json(404, { error: { code: 'Request_ResourceNotFound', message: `azure-emulator: ${host} is not emulated beyond TLS.` } });
  };

  const serve = (incoming: http.IncomingMessage, outgoing: http.ServerResponse, host: string) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const url = new URL(incoming.url ?? '/', `https://${host}`);
      const request: EmulatorRequest = {
        method: incoming.method ?? 'GET',
        host,
        path: url.pathname.split('/').map((s) => { try { return decodeURIComponent(s); } catch { return s; } }).join('/'),
        query: Object.fromEntries(url.searchParams),
        headers: incoming.headers,
        rawBody: Buffer.concat(chunks),
      };
      const context: RequestContext = {};
      let response: EmulatorResponse;
      try {
        response = await service(host)(request, context);
      } catch (error) {
        response = json(500, { error: { code: 'InternalServerError', message: `azure-emulator: ${(error as Error).stack ?? error}` } });
      }
      requests.push({
        method: request.method,
        host,
        path: request.path,
        query: request.query,
        status: response.status,
        ...(request.rawBody.length > 0 ? { body: parseBody(request) } : {}),
        ...(response.body !== undefined ? { response: responseBody(request, response) } : {}),
        ...(context.principalId ? { principalId: context.principalId } : {}),
      });
      const payload = response.body === undefined ? undefined : typeof response.body === 'string' || Buffer.isBuffer(response.body) ? response.body : JSON.stringify(response.body);
      const headers: Record<string, string | number> = { 'x-ms-request-id': crypto.randomUUID(), ...response.headers };
      headers['content-length'] = payload === undefined ? 0 : Buffer.byteLength(payload);
      outgoing.writeHead(response.status, headers);
      outgoing.end(request.method === 'HEAD' ? undefined : payload);
    });
  };

  const proxy = await startProxy({
    isEmulated: (host) => FIXED_HOSTS.includes(host) || (/^[a-z0-9-]+\.vault\.azure\.net$/.test(host) && state.vaultByName(host.split('.')[0]) !== undefined),
    certificatePem: ca.leafCertificatePem,
    keyPem: ca.leafKeyPem,
    serve,
    onRefused: (method, host) => requests.push({ method, host, path: '', query: {}, status: 502 }),
  });

  const env: Record<string, string> = {
    HTTPS_PROXY: proxy.url,
    https_proxy: proxy.url,
    // Plain http:// goes to the proxy too, which refuses it: nothing leaves the machine.
    HTTP_PROXY: proxy.url,
    http_proxy: proxy.url,
    NO_PROXY: '',
    no_proxy: '',
    REQUESTS_CA_BUNDLE: ca.caBundleFile,
    CURL_CA_BUNDLE: ca.caBundleFile,
    SSL_CERT_FILE: ca.caBundleFile,
    NODE_EXTRA_CA_CERTS: ca.caBundleFile,
    AZURE_CONFIG_DIR: configDir,
    AZURE_EXTENSION_DIR: path.join(configDir, 'cliextensions'),
    AZURE_CORE_COLLECT_TELEMETRY: 'no',
    AZURE_CORE_SURVEY_MESSAGE: 'no',
    AZURE_CORE_NO_COLOR: 'true',
  };

  return {
    env,
    state,
    requests,
    entra,
    configDir,
    stop: async () => {
      await proxy.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
