import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { azEnvironment, encodeJwt, startAzureEmulator, type AzureEmulator, type RecordedRequest } from '../emulator';
import { makeStandInCertificate } from '../emulator/stand-in-certificates';
import { AZ_CLI_MISSING, resolveAzCli } from './support/az-cli';
import { makePfx, randomPassword } from './support/openssl';
import { describeWith, TOOLS } from './support/required-tools';

// The whole lifecycle rehearsed locally: the REAL az CLI (2.91.0, unmodified) talks through an HTTPS proxy on
// 127.0.0.1 to an emulated Entra ID, ARM, Key Vault and API Management; nothing leaves the machine.

const az = resolveAzCli();
const SUBSCRIPTION = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const RG = 'rg-apimcert-dev';
const VAULT = 'kv-apimcert-dev';
const APIM = 'apim-apimcert-dev';
const CERT = 'partner-client';
const CLIENT_ADDRESS = '20.50.60.70';
/** Azure documents up to 10 minutes for role assignments to take effect; the test moves the emulator's clock instead of waiting. */
const RBAC_DELAY_MS = 5 * 60_000;
const VAULT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
const APIM_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${APIM}`;
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'repo:example/apim-client-certificates:environment:dev';

interface AzResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describeWith(az !== undefined && TOOLS.openssl(), az ? 'openssl' : AZ_CLI_MISSING)(
  'the real az CLI against the Azure emulator',
  () => {
    jest.setTimeout(60_000);
    let emulator: AzureEmulator;
    let work: string;
    let deployer: { appId: string; objectId: string };
    let apimPrincipalId: string;
    /** Added to the emulator's clock (never to the machine's): how the test lets RBAC propagate. */
    let clockSkewMs = 0;

    /** Runs az asynchronously: the emulator answers from this very process, so a synchronous spawn would deadlock. */
    const run = (...args: string[]): Promise<AzResult> =>
      new Promise((resolve) => {
        execFile(az!.command, [...az!.prefix, ...args], { env: { ...azEnvironment(emulator), AZ_INSTALLER: 'PIP' }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    const runJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
      const result = await run(...args, '-o', 'json');
      if (result.code !== 0) throw new Error(`az ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    };
    /** The value of `action` and the requests the emulator recorded while it ran. */
    const during = async <T>(action: () => Promise<T>): Promise<[T, RecordedRequest[]]> => {
      const start = emulator.requests.length;
      const value = await action();
      return [value, emulator.requests.slice(start)];
    };
    const federatedToken = (subject = SUBJECT) =>
      encodeJwt({ iss: GITHUB_ISSUER, sub: subject, aud: 'api://AzureADTokenExchange', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });
    /** SHA-1 of the certificate makePfx leaves beside the PFX, as upper-case hex. */
    const thumbprintOf = (pfxFile: string) => new crypto.X509Certificate(fs.readFileSync(pfxFile.replace(/\.pfx$/, '.crt'))).fingerprint.replace(/:/g, '');

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-emulator-test-'));
      emulator = await startAzureEmulator({ rbacDelayMs: RBAC_DELAY_MS, clientAddress: CLIENT_ADDRESS, now: () => Date.now() + clockSkewMs });
      const { state } = emulator;
      state.addSubscription(SUBSCRIPTION, 'apimcert-dev', { 'Microsoft.KeyVault': 'Registered', 'Microsoft.ApiManagement': 'Registered' });
      state.addResourceGroup(SUBSCRIPTION, RG, 'westeurope');
      const sp = state.addPrincipal({
        appId: crypto.randomUUID(),
        displayName: 'github-apimcert-dev',
        type: 'ServicePrincipal',
        federatedCredentials: [{ issuer: GITHUB_ISSUER, subject: SUBJECT }],
      });
      deployer = { appId: sp.appId!, objectId: sp.objectId };
      // The deployer owns the resource group (so it may assign roles) and may read the vault's contents, but
      // holds no role that may import certificates yet.
      state.assignRole(sp.objectId, 'Owner', `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`, { effectiveImmediately: true });
      state.addVault({
        subscriptionId: SUBSCRIPTION,
        resourceGroup: RG,
        name: VAULT,
        location: 'westeurope',
        networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [{ value: '203.0.113.0/24' }] },
      });
      state.assignRole(sp.objectId, 'Key Vault Reader', VAULT_ID, { effectiveImmediately: true });
      const apim = state.addApimService({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: APIM, location: 'westeurope' });
      apimPrincipalId = apim.principalId;
      state.assignRole(apim.principalId, 'Key Vault Secrets User', `${VAULT_ID}/secrets/${CERT}`, { effectiveImmediately: true });
      apim.backends.set('partner-api', { properties: { url: 'https://partner.example.com/api', protocol: 'http' }, etag: '"backend-v1"' });
    });

    afterAll(async () => {
      await emulator?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it('refuses a federated token whose subject has no federated credential (AADSTS70021)', async () => {
      const [result, requests] = await during(() =>
        run('login', '--service-principal', '-u', deployer.appId, '--tenant', emulator.state.tenantId, '--federated-token', federatedToken('repo:example/other:ref:refs/heads/main')),
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('AADSTS70021');
      expect(requests.map((r) => `${r.method} ${r.host}${r.path} ${r.status}`)).toEqual([
        `GET login.microsoftonline.com/${emulator.state.tenantId}/v2.0/.well-known/openid-configuration 200`,
        `POST login.microsoftonline.com/${emulator.state.tenantId}/oauth2/v2.0/token 400`,
        // az then drops the half-made login: MSAL's remove_tokens_for_client() looks up the authority's aliases.
        'GET login.microsoftonline.com/common/discovery/instance 200',
      ]);
    });

    it('logs in with a federated token: a client-credentials token, then the subscription list', async () => {
      const [accounts, requests] = await during(() =>
        runJson<{ id: string; tenantId: string; user: { type: string } }[]>('login', '--service-principal', '-u', deployer.appId, '--tenant', emulator.state.tenantId, '--federated-token', federatedToken()),
      );
      expect(accounts).toEqual([expect.objectContaining({ id: SUBSCRIPTION, tenantId: emulator.state.tenantId, user: expect.objectContaining({ type: 'servicePrincipal' }) })]);
      // No discovery this time: MSAL kept the OIDC document of the failed attempt in msal_http_cache.bin.
      expect(requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([`POST login.microsoftonline.com/${emulator.state.tenantId}/oauth2/v2.0/token`, 'GET management.azure.com/subscriptions']);
      expect(requests[0].body).toMatchObject({
        grant_type: 'client_credentials',
        client_id: deployer.appId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        scope: expect.stringContaining('https://management.core.windows.net//.default'),
      });
      expect(requests[1]).toMatchObject({ query: { 'api-version': '2022-12-01' }, status: 200, principalId: deployer.objectId });
    });

    it('az account show answers from the profile, without a request', async () => {
      const [account, requests] = await during(() => runJson<{ id: string; name: string; user: { name: string } }>('account', 'show'));
      expect(account).toMatchObject({ id: SUBSCRIPTION, name: 'apimcert-dev', user: { name: deployer.appId } });
      expect(requests).toEqual([]);
    });

    it('az provider show reads the registration state', async () => {
      const [provider, requests] = await during(() => runJson<{ registrationState: string }>('provider', 'show', '--namespace', 'Microsoft.KeyVault', '--subscription', SUBSCRIPTION));
      expect(provider.registrationState).toBe('Registered');
      expect(requests).toEqual([
        expect.objectContaining({ method: 'GET', path: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.KeyVault`, query: { 'api-version': '2024-11-01' }, status: 200, principalId: deployer.objectId }),
      ]);
    });

    it('az keyvault show returns the vault with its networkAcls', async () => {
      const [vault, requests] = await during(() => runJson<{ properties: { networkAcls: unknown } }>('keyvault', 'show', '--name', VAULT, '--resource-group', RG));
      expect(vault.properties.networkAcls).toEqual({ bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [{ value: '203.0.113.0/24' }], virtualNetworkRules: [] });
      expect(requests).toEqual([expect.objectContaining({ method: 'GET', path: VAULT_ID, query: { 'api-version': '2026-02-01' }, status: 200 })]);
    });

    it('the firewall refuses the data plane until network-rule add lets the client address in', async () => {
      const [refused, before] = await during(() => run('keyvault', 'certificate', 'list', '--vault-name', VAULT));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('ForbiddenByFirewall');
      expect(refused.stderr).toContain(`Client address: ${CLIENT_ADDRESS}`);
      // The SDK first asks without a token and learns tenant and resource from the 401 challenge.
      expect(before.filter((r) => r.host === `${VAULT}.vault.azure.net`).map((r) => r.status)).toEqual([401, 403]);
      expect(before.find((r) => r.host === 'login.microsoftonline.com')?.body).toMatchObject({ scope: expect.stringContaining('https://vault.azure.net/.default') });

      const [added, addRequests] = await during(() =>
        runJson<{ properties: { networkAcls: { ipRules: { value: string }[] } } }>('keyvault', 'network-rule', 'add', '--name', VAULT, '--resource-group', RG, '--ip-address', CLIENT_ADDRESS),
      );
      expect(added.properties.networkAcls.ipRules).toEqual([{ value: '203.0.113.0/24' }, { value: `${CLIENT_ADDRESS}/32` }]);
      // GET, then a PUT of the whole vault with the whole ipRules list (the new address as typed, without /32).
      expect(addRequests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${VAULT_ID}`, `PUT ${VAULT_ID}`]);
      expect(addRequests[1].body).toMatchObject({ location: 'westeurope', properties: { networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '203.0.113.0/24' }, { value: CLIENT_ADDRESS }] } } });

      const rules = await runJson<{ ipRules: { value: string }[] }>('keyvault', 'network-rule', 'list', '--name', VAULT, '--resource-group', RG);
      expect(rules.ipRules.map((r) => r.value)).toContain(`${CLIENT_ADDRESS}/32`);
      expect(await runJson('keyvault', 'certificate', 'list', '--vault-name', VAULT)).toEqual([]);
    });

    it('a new role assignment is enforced only after propagation; then each import makes a new version', async () => {
      const [assignment, assignRequests] = await during(() =>
        runJson<{ roleDefinitionId: string }>('role', 'assignment', 'create', '--assignee-object-id', deployer.objectId, '--assignee-principal-type', 'ServicePrincipal', '--role', 'Key Vault Certificates Officer', '--scope', VAULT_ID),
      );
      expect(assignment.roleDefinitionId).toMatch(/a4417e6f-fecd-4de8-b567-7b0420556985$/);
      expect(assignRequests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 201']);

      const password = randomPassword();
      const pfx1 = makePfx(work, password, 'partner-v1');
      const tooEarly = await run('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', pfx1, '--password', password);
      expect(tooEarly.code).not.toBe(0);
      expect(tooEarly.stderr).toContain('ForbiddenByRbac');
      expect(tooEarly.stderr).toContain("Action: 'Microsoft.KeyVault/vaults/certificates/import/action'");

      const created = emulator.state.roleAssignments.at(-1)!;
      expect(created.effectiveAtMs - created.createdAtMs).toBe(RBAC_DELAY_MS);
      clockSkewMs += RBAC_DELAY_MS;
      const [first, importRequests] = await during(() => runJson<{ id: string; x509ThumbprintHex: string }>('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', pfx1, '--password', password));
      expect(first.x509ThumbprintHex).toBe(thumbprintOf(pfx1));
      const importCall = importRequests.find((r) => r.path === `/certificates/${CERT}/import` && r.status === 200);
      expect(importCall?.body).toEqual({ value: fs.readFileSync(pfx1).toString('base64'), pwd: '<redacted>' });

      const pfx2 = makePfx(work, password, 'partner-v2');
      const second = await runJson<{ id: string; x509ThumbprintHex: string }>('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', pfx2, '--password', password);
      expect(second.x509ThumbprintHex).toBe(thumbprintOf(pfx2));
      expect(second.id).not.toBe(first.id);
      expect(emulator.state.vaultByName(VAULT)?.certificates.get(CERT)?.versions).toHaveLength(2);
    });

    it('az keyvault certificate show prints the current version with x509ThumbprintHex', async () => {
      const [shown, requests] = await during(() => runJson<{ x509ThumbprintHex: string; x509Thumbprint: string; name: string }>('keyvault', 'certificate', 'show', '--vault-name', VAULT, '--name', CERT));
      const current = thumbprintOf(path.join(work, 'partner-v2.pfx'));
      expect(shown.name).toBe(CERT);
      expect(shown.x509ThumbprintHex).toBe(current);
      // az re-encodes the wire x5t (base64url) as standard padded base64.
      expect(shown.x509Thumbprint).toBe(Buffer.from(current, 'hex').toString('base64'));
      // An empty version segment asks for the latest version.
      expect(requests.filter((r) => r.status === 200).map((r) => r.path)).toEqual([`/certificates/${CERT}/`]);
    });

    it('create with issuer Unknown leaves a pending version with a CSR; contacts are set', async () => {
      const policyFile = path.join(work, 'csr-policy.json');
      fs.writeFileSync(
        policyFile,
        JSON.stringify({
          issuerParameters: { name: 'Unknown' },
          keyProperties: { exportable: true, keyType: 'RSA', keySize: 2048, reuseKey: false },
          secretProperties: { contentType: 'application/x-pkcs12' },
          x509CertificateProperties: { subject: 'CN=partner-csr', validityInMonths: 12 },
        }),
      );
      const [operation, requests] = await during(() => runJson<{ status: string; csr: string; issuerParameters: { name: string } }>('keyvault', 'certificate', 'create', '--vault-name', VAULT, '--name', 'partner-csr', '--policy', `@${policyFile}`));
      expect(operation).toMatchObject({ status: 'inProgress', issuerParameters: { name: 'Unknown' } });
      expect(Buffer.from(operation.csr, 'base64')[0]).toBe(0x30); // a DER SEQUENCE: a real PKCS#10 request
      // az returns at once for issuer Unknown: the create, then one read of the pending operation.
      expect(requests.filter((r) => r.status !== 401 && r.host.endsWith('.vault.azure.net')).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'POST /certificates/partner-csr/create 202',
        'GET /certificates/partner-csr/pending 200',
      ]);
      const pending = await runJson<{ cer: string | null; x509ThumbprintHex: string | null; attributes: { enabled: boolean } }>('keyvault', 'certificate', 'show', '--vault-name', VAULT, '--name', 'partner-csr');
      expect(pending).toMatchObject({ cer: null, x509ThumbprintHex: null, attributes: { enabled: false } });

      const contacts = await runJson<{ email: string }[]>('keyvault', 'certificate', 'contact', 'add', '--vault-name', VAULT, '--email', 'pki@example.com');
      expect(JSON.stringify(contacts)).toContain('pki@example.com');
      expect(emulator.state.vaultByName(VAULT)?.contacts).toEqual([{ email: 'pki@example.com' }]);
    });

    it('APIM serves the version it fetched until refreshSecret re-reads Key Vault', async () => {
      const certificateUrl = `${APIM_ID}/certificates/${CERT}`;
      // APIM references the versionless secret and fetches it (as its managed identity) when created.
      const created = await runJson<{ properties: { thumbprint: string } }>(
        'rest', '--method', 'put', '--url', `${certificateUrl}?api-version=2024-05-01`,
        '--body', JSON.stringify({ properties: { keyVault: { secretIdentifier: `https://${VAULT}.vault.azure.net/secrets/${CERT}` } } }),
      );
      expect(created.properties.thumbprint).toBe(thumbprintOf(path.join(work, 'partner-v2.pfx')));

      const password = randomPassword();
      const pfx3 = makePfx(work, password, 'partner-v3');
      const third = await runJson<{ x509ThumbprintHex: string }>('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', pfx3, '--password', password);
      expect(third.x509ThumbprintHex).toBe(thumbprintOf(pfx3));

      const stale = await runJson<{ properties: { thumbprint: string } }>('rest', '--method', 'get', '--url', `${certificateUrl}?api-version=2024-05-01`);
      expect(stale.properties.thumbprint).toBe(created.properties.thumbprint);
      const [refreshed, refreshRequests] = await during(() =>
        runJson<{ properties: { thumbprint: string; keyVault: { lastStatus: { code: string } } } }>('rest', '--method', 'post', '--url', `${certificateUrl}/refreshSecret?api-version=2024-05-01`),
      );
      expect(refreshed.properties).toMatchObject({ thumbprint: third.x509ThumbprintHex, keyVault: { lastStatus: { code: 'Success' } } });
      // APIM read the versionless secret inside Azure, as its own managed identity (recorded with `via`).
      expect(refreshRequests).toEqual([
        expect.objectContaining({ method: 'GET', host: `${VAULT}.vault.azure.net`, path: `/secrets/${CERT}`, status: 200, principalId: apimPrincipalId, via: `Microsoft.ApiManagement/service/${APIM}` }),
        expect.objectContaining({ method: 'POST', host: 'management.azure.com', path: `${certificateUrl}/refreshSecret`, query: { 'api-version': '2024-05-01' }, status: 200, principalId: deployer.objectId }),
      ]);
      const current = await runJson<{ properties: { thumbprint: string } }>('rest', '--method', 'get', '--url', `${certificateUrl}?api-version=2024-05-01`);
      expect(current.properties.thumbprint).toBe(third.x509ThumbprintHex);
    });

    it('PATCH of a backend needs If-Match and merges credentials.certificate', async () => {
      const thumbprint = thumbprintOf(path.join(work, 'partner-v3.pfx'));
      const backendUrl = `${APIM_ID}/backends/partner-api?api-version=2024-05-01`;
      const bodyFile = path.join(work, 'backend-patch.json');
      fs.writeFileSync(bodyFile, JSON.stringify({ properties: { credentials: { certificate: [thumbprint] } } }));
      const withoutIfMatch = await run('rest', '--method', 'patch', '--url', backendUrl, '--body', `@${bodyFile}`);
      expect(withoutIfMatch.code).toBe(1);
      const [patched, requests] = await during(() => runJson<{ properties: Record<string, unknown> }>('rest', '--method', 'patch', '--url', backendUrl, '--headers', 'If-Match=*', '--body', `@${bodyFile}`));
      expect(patched.properties).toEqual({ url: 'https://partner.example.com/api', protocol: 'http', credentials: { certificate: [thumbprint] } });
      expect(requests).toEqual([expect.objectContaining({ method: 'PATCH', status: 200, body: { properties: { credentials: { certificate: [thumbprint] } } } })]);
    });

    it('a soft-deleted certificate blocks a re-import until it is recovered', async () => {
      const deleted = await run('keyvault', 'certificate', 'delete', '--vault-name', VAULT, '--name', CERT, '-o', 'json');
      expect(deleted.code).toBe(0);
      expect(JSON.parse(deleted.stdout)).toMatchObject({ recoveryId: `https://${VAULT}.vault.azure.net/deletedcertificates/${CERT}` });
      const password = randomPassword();
      const blocked = await run('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', makePfx(work, password, 'partner-v4'), '--password', password);
      expect(blocked.code).not.toBe(0);
      expect(blocked.stderr).toContain('ObjectIsDeletedButRecoverable');
      const [recovered, requests] = await during(() => runJson<{ x509ThumbprintHex: string }>('keyvault', 'certificate', 'recover', '--vault-name', VAULT, '--name', CERT));
      expect(recovered.x509ThumbprintHex).toBe(thumbprintOf(path.join(work, 'partner-v3.pfx')));
      expect(requests.filter((r) => r.status === 200).map((r) => `${r.method} ${r.path}`)).toContain(`POST /deletedcertificates/${CERT}/recover`);
    });

    it('network-rule remove PUTs the vault back without the address', async () => {
      const [removed, requests] = await during(() =>
        runJson<{ properties: { networkAcls: { ipRules: unknown[] } } }>('keyvault', 'network-rule', 'remove', '--name', VAULT, '--resource-group', RG, '--ip-address', `${CLIENT_ADDRESS}/32`),
      );
      expect(removed.properties.networkAcls.ipRules).toEqual([{ value: '203.0.113.0/24' }]);
      expect(requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
    });

    it('a service principal with a client secret logs in too, and the secret is never recorded', async () => {
      const secret = randomPassword();
      const sp = emulator.state.addPrincipal({ appId: crypto.randomUUID(), displayName: 'legacy-secret', type: 'ServicePrincipal', clientSecret: secret });
      emulator.state.assignRole(sp.objectId, 'Reader', `/subscriptions/${SUBSCRIPTION}`, { effectiveImmediately: true });
      const [accounts, requests] = await during(() => runJson<{ id: string }[]>('login', '--service-principal', '-u', sp.appId!, '-p', secret, '--tenant', emulator.state.tenantId));
      expect(accounts.map((a) => a.id)).toEqual([SUBSCRIPTION]);
      expect(requests[0].body).toMatchObject({ grant_type: 'client_credentials', client_secret: `<${secret.length} chars>` });
      expect(JSON.stringify(emulator.requests)).not.toContain(secret);
    });

    it('a service principal with a certificate credential logs in with the key of a registered certificate only: no secret on the command line', async () => {
      const pem = (file: string, block: 'CERTIFICATE' | 'PRIVATE KEY') => new RegExp(`-----BEGIN ${block}-----[\\s\\S]+?-----END ${block}-----\\n?`).exec(fs.readFileSync(file, 'utf8'))![0];
      const registered = makeStandInCertificate(work, 'login-registered', { format: 'pem' }).file;
      const other = makeStandInCertificate(work, 'login-other', { format: 'pem' }).file;
      // The registered certificate, but signed with another key: what only a forged assertion would be.
      const forged = path.join(work, 'login-forged.pem');
      fs.writeFileSync(forged, pem(registered, 'CERTIFICATE') + pem(other, 'PRIVATE KEY'), { mode: 0o600 });
      const sp = emulator.state.addPrincipal({ appId: crypto.randomUUID(), displayName: 'certificate-login', type: 'ServicePrincipal', certificates: [pem(registered, 'CERTIFICATE')] });
      emulator.state.assignRole(sp.objectId, 'Reader', `/subscriptions/${SUBSCRIPTION}`, { effectiveImmediately: true });
      const login = (file: string) => run('login', '--service-principal', '-u', sp.appId!, '--certificate', file, '--tenant', emulator.state.tenantId, '-o', 'json');
      const unregistered = await login(other);
      expect([unregistered.code !== 0, unregistered.stderr]).toEqual([true, expect.stringContaining('AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application')]);
      const badSignature = await login(forged);
      expect([badSignature.code !== 0, badSignature.stderr]).toEqual([true, expect.stringContaining('AADSTS700027: Client assertion failed signature validation.')]);
      const [accepted, requests] = await during(() => login(registered));
      expect([accepted.code, (JSON.parse(accepted.stdout) as { id: string }[]).map((a) => a.id)]).toEqual([0, [SUBSCRIPTION]]);
      const grant = requests.find((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
      expect(grant.body).toMatchObject({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
      expect(grant.body).not.toHaveProperty('client_secret');
    });

    it('the proxy listens on loopback and refuses a host it does not emulate with 502', async () => {
      expect(emulator.env.HTTPS_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const [result, requests] = await during(() => run('rest', '--method', 'get', '--url', 'https://example.com/', '--skip-authorization-header'));
      expect(result.code).not.toBe(0);
      expect(requests).toEqual([{ method: 'CONNECT', host: 'example.com:443', path: '', query: {}, status: 502 }]);
    });

    it('nothing else left the emulated hosts: no update check, no telemetry', () => {
      const emulated = /^(login\.microsoftonline\.com|management\.azure\.com|[a-z0-9-]+\.vault\.azure\.net)$/;
      expect(emulator.requests.filter((r) => !emulated.test(r.host)).map((r) => `${r.method} ${r.host}`)).toEqual(['CONNECT example.com:443']);
    });
  },
);
