import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import type { EnvironmentConfig } from '../config/environment-config';
import { refreshApimCertificates } from '../operations/apim-refresh';
import { resolveAzureContext } from '../operations/azure-context';
import { reportCertificates } from '../operations/certificate-report';
import { checkResourceProviders } from '../operations/resource-providers';
import { memoryLog } from '../operations/step-log';
import type { StepTools } from '../operations/step-tools';
import { FirewallSession } from '../operations/vault-firewall';
import { azEnvironment, encodeJwt, startAzureEmulator, type AzureEmulator } from '../emulator';
import { AZ_CLI_MISSING, azCliRunner, resolveAzCli } from './support/az-cli';
import { FakeTerraform } from './support/fake-terraform';
import { makePfx, randomPassword } from './support/openssl';
import { describeWith, TOOLS } from './support/required-tools';
import { projectWithEnvironments } from './support/test-project';

// The project's own operational steps (operations/) with the REAL az CLI, through the loopback proxy, against
// the emulator of Entra ID, ARM, Key Vault and API Management (support/azure-emulator): the provider check,
// the firewall opened and closed (the emulator's firewall proves the rule took effect and was removed), the
// APIM refresh with its verification and backend update, and the expiry report from Azure as it is now.

const az = resolveAzCli();
const SUBSCRIPTION = '2c8e4a61-9f3b-4d7e-a5c2-8b1f6e0d9a37';
const RG = 'rg-orders-qa';
const VAULT = 'kv-orders-qa';
const APIM = 'apim-orders-qa';
const CERT = 'orders-partner';
const AGENT = '20.50.60.70';
const VAULT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
const APIM_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${APIM}`;
const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'repo:fabrikam/orders:environment:qa-plan';

const environment: EnvironmentConfig = {
  name: 'orders-qa',
  subscriptionId: SUBSCRIPTION,
  location: 'westeurope',
  resourceGroup: { name: RG },
  keyVault: { name: VAULT, networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24'] } },
  apiManagement: { name: APIM, publisherName: 'Orders', publisherEmail: 'orders@fabrikam.example' },
  deployers: [],
  certificates: [{ name: CERT, backend: { url: 'https://partner.fabrikam.example', name: 'orders-backend' } }],
  expiryWarnings: { daysBeforeExpiry: 30 },
};

describeWith(az !== undefined && TOOLS.openssl(), az ? 'openssl' : AZ_CLI_MISSING)('the operational steps, with the real az CLI against the Azure emulator', () => {
  jest.setTimeout(120_000);
  let emulator: AzureEmulator;
  let work: string;
  let tools: StepTools;
  const log = memoryLog();
  const manifest = deploymentManifest(environment);
  const azEnv = () => ({ ...azEnvironment(emulator), AGENT_IP: AGENT, TMPDIR: work });
  const run = (...args: string[]) => azCliRunner(az!)(args, { env: azEnv(), timeoutMs: 60_000 });
  const thumbprintOf = (pfx: string) => new crypto.X509Certificate(fs.readFileSync(pfx.replace(/\.pfx$/, '.crt'))).fingerprint.replace(/:/g, '');
  const context = () => resolveAzureContext({ run: tools.az, env: tools.env, manifest, requireAz: true });
  const dataPlane = () => run('keyvault', 'certificate', 'list', '--vault-name', VAULT, '--subscription', SUBSCRIPTION, '-o', 'json');

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'operations-emulator-'));
    emulator = await startAzureEmulator({ rbacDelayMs: 0, clientAddress: AGENT });
    const { state } = emulator;
    state.addSubscription(SUBSCRIPTION, 'orders-qa', { 'Microsoft.KeyVault': 'Registered', 'Microsoft.ApiManagement': 'Registered' });
    state.addResourceGroup(SUBSCRIPTION, RG, 'westeurope');
    const deployer = state.addPrincipal({ appId: crypto.randomUUID(), displayName: 'orders-qa pipeline', type: 'ServicePrincipal', federatedCredentials: [{ issuer: ISSUER, subject: SUBJECT }] });
    state.assignRole(deployer.objectId, 'Owner', `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`, { effectiveImmediately: true });
    state.addVault({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: VAULT, location: 'westeurope', networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [{ value: '52.10.20.0/24' }] } });
    state.assignRole(deployer.objectId, 'Key Vault Certificates Officer', VAULT_ID, { effectiveImmediately: true });
    const apim = state.addApimService({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: APIM, location: 'westeurope' });
    state.assignRole(apim.principalId, 'Key Vault Secrets User', `${VAULT_ID}/secrets/${CERT}`, { effectiveImmediately: true });
    apim.backends.set('orders-backend', { properties: { url: 'https://partner.fabrikam.example', protocol: 'http', credentials: { certificate: [] } }, etag: '"v1"' });
    const token = encodeJwt({ iss: ISSUER, sub: SUBJECT, aud: 'api://AzureADTokenExchange', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });
    const login = await run('login', '--service-principal', '-u', deployer.appId!, '--tenant', state.tenantId, '--federated-token', token, '-o', 'none');
    expect([login.status, login.stderr]).toEqual([0, '']);
    tools = { az: azCliRunner(az!), terraform: new FakeTerraform().run, lookup: async () => AGENT, clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 200))) }, log, env: azEnv(), platform: process.platform };
  });
  afterAll(async () => {
    await emulator?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("checks the stack's resource providers in its own subscription", async () => {
    const { az: cli } = await context();
    expect(await checkResourceProviders(cli!, manifest, log)).toEqual([]);
    emulator.state.subscription(SUBSCRIPTION)!.providers['Microsoft.ApiManagement'] = 'NotRegistered';
    expect(await checkResourceProviders(cli!, manifest, log)).toEqual(['Microsoft.ApiManagement']);
    emulator.state.subscription(SUBSCRIPTION)!.providers['Microsoft.ApiManagement'] = 'Registered';
    expect(emulator.requests.filter((r) => r.path.endsWith('/providers/Microsoft.ApiManagement')).every((r) => r.path.startsWith(`/subscriptions/${SUBSCRIPTION}/`))).toBe(true);
  });

  it("opens the vault's firewall to this machine and closes it again: the emulator's firewall lets the data plane through in between, and only then", async () => {
    expect((await dataPlane()).stderr).toContain('ForbiddenByFirewall');
    const { az: cli } = await context();
    const session = new FirewallSession({ az: cli!, manifest, log, env: azEnv(), runId: 'run-emulator', recordFile: path.join(work, 'firewall.json'), clock: tools.clock, pollMs: 100, waitMs: 30_000 });
    await session.open(async () => AGENT);
    expect(emulator.state.vaultByName(VAULT)!.properties.networkAcls!.ipRules!.map((r) => r.value)).toEqual(['52.10.20.0/24', `${AGENT}/32`]);
    expect((await dataPlane()).status).toBe(0);
    await session.close();
    expect(emulator.state.vaultByName(VAULT)!.properties.networkAcls!.ipRules!.map((r) => r.value)).toEqual(['52.10.20.0/24']);
    expect((await dataPlane()).stderr).toContain('ForbiddenByFirewall');
  });

  it('after a renewal, makes APIM serve the new version, verified, and points the backend at it', async () => {
    const { az: cli } = await context();
    const session = new FirewallSession({ az: cli!, manifest, log, env: azEnv(), runId: 'run-refresh', clock: tools.clock, pollMs: 100, waitMs: 30_000 });
    await session.open(async () => AGENT);
    try {
      const password = randomPassword();
      const first = makePfx(work, password, 'orders-v1');
      expect((await run('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', first, '--password', password, '-o', 'none')).status).toBe(0);
      const created = await run('rest', '--method', 'put', '--url', `${APIM_ID}/certificates/${CERT}?api-version=2024-05-01`, '--body', JSON.stringify({ properties: { keyVault: { secretIdentifier: `https://${VAULT}.vault.azure.net/secrets/${CERT}` } } }), '-o', 'none');
      expect(created.status).toBe(0);
      const renewed = makePfx(work, password, 'orders-v2');
      expect((await run('keyvault', 'certificate', 'import', '--vault-name', VAULT, '--name', CERT, '--file', renewed, '--password', password, '-o', 'none')).status).toBe(0);
      const { failed } = await refreshApimCertificates({ az: cli!, manifest, log, clock: tools.clock, workDir: work, timeoutMs: 60_000, pollMs: 100 });
      expect(failed).toEqual([]);
      const apim = emulator.state.apimService(SUBSCRIPTION, RG, APIM)!;
      expect(apim.certificates.get(CERT)?.thumbprint).toBe(thumbprintOf(renewed));
      expect((apim.backends.get('orders-backend')!.properties as { credentials: { certificate: string[] } }).credentials.certificate).toEqual([thumbprintOf(renewed)]);
      expect(log.text()).toContain(`${CERT}: API Management serves ${thumbprintOf(renewed).slice(0, 4)}…${thumbprintOf(renewed).slice(-4)}, Key Vault's current version; backend orders-backend presents it`);
    } finally {
      await session.close();
    }
  });

  it('reports from Azure as it is now: Key Vault\'s current version, its expiry, and what APIM serves', async () => {
    let out = '';
    const code = await reportCertificates(tools, { manifest, source: { kind: 'azure' }, write: (t) => (out += t) });
    expect([code, out.trim()]).toEqual([0, expect.stringMatching(new RegExp(`^${CERT}: Key Vault [0-9A-F]{4}…[0-9A-F]{4}, expires \\d{4}-\\d{2}-\\d{2} \\(\\d+ days left\\); APIM serves it$`))]);
    // The report opened the firewall for its reads and closed it.
    expect(emulator.state.vaultByName(VAULT)!.properties.networkAcls!.ipRules!.map((r) => r.value)).toEqual(['52.10.20.0/24']);
  });

  it('on Ctrl-C during npm run cert:report, still removes the rule it let through the firewall, and ends with 130', async () => {
    const project = projectWithEnvironments([environment]);
    try {
      const seen = emulator.requests.length;
      const child = spawn(process.execPath, ['scripts/run.js', 'scripts/cert-report.ts', environment.name], {
        cwd: project.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...azEnv(), PATH: `${path.dirname(az!.command)}${path.delimiter}${process.env.PATH}` },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Ctrl-C once a read through the opened firewall has been answered (the wait for the data plane, or the
      // report's first read): the report is in its next az call, or between two; either way no read begins
      // after it, and the firewall is closed.
      let sent = false;
      const poll = setInterval(() => {
        if (!sent && emulator.requests.slice(seen).some((r) => r.host === `${VAULT}.vault.azure.net` && r.status === 200)) {
          sent = true;
          child.kill('SIGINT');
        }
      }, 20);
      const status = await closed;
      clearInterval(poll);
      expect(sent).toBe(true);
      expect([status, output.match(/^error: .*$/m)?.[0]]).toEqual([130, expect.stringMatching(/^error: stopped by SIGINT( while reading .*)?$/)]);
      expect(output).toContain(`vault ${VAULT}: removed ${AGENT}/32`);
      // The rule it added is gone: only the configured one is left.
      expect(emulator.state.vaultByName(VAULT)!.properties.networkAcls!.ipRules!.map((r) => r.value)).toEqual(['52.10.20.0/24']);
    } finally {
      project.remove();
    }
  });
});
