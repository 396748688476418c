import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import type { EnvironmentConfig } from '../config/environment-config';
import { refreshApimCertificates } from '../operations/apim-refresh';
import { AzureCli, AzureCliError } from '../operations/azure-cli';
import { type CommandRunner, interruptible } from '../operations/command-runner';
import { memoryLog } from '../operations/step-log';
import { FakeAzure } from './support/fake-azure';
import { instantClock } from './support/stack-directory';

// operations/apim-refresh.ts: after an apply, APIM serves Key Vault's current version of each certificate,
// verified, and each backend presents it; within one time bound for the whole step.

const SUBSCRIPTION = '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47';
const OLD = { thumbprint: 'A'.repeat(40), expires: '2027-01-01T00:00:00Z' };
const NEW = { thumbprint: 'B'.repeat(40), expires: '2028-01-01T00:00:00Z' };
const config: EnvironmentConfig = {
  name: 'payments-qa',
  location: 'northeurope',
  resourceGroup: { name: 'rg-payments-qa' },
  keyVault: { name: 'kv-payments-qa' },
  apiManagement: { name: 'apim-payments-qa', publisherName: 'Payments', publisherEmail: 'payments@fabrikam.example' },
  deployers: [],
  certificates: [{ name: 'mtls-backend', backend: { url: 'https://backend.fabrikam.example' } }, { name: 'partner-orders', format: 'pem' }],
};

describe("the APIM refresh after an apply: APIM serves Key Vault's current version, verified", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apim-refresh-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function setup() {
    const azure = new FakeAzure().vault('kv-payments-qa', { defaultAction: 'Allow' });
    azure.subscription = SUBSCRIPTION;
    for (const name of ['mtls-backend', 'partner-orders']) {
      azure.keyVaultCertificates.set(name, NEW);
      azure.apimCertificates.set(name, OLD);
    }
    azure.backends.set('mtls-backend', [OLD.thumbprint]);
    azure.apimRefreshLagReads = 2;
    const log = memoryLog();
    const clock = instantClock();
    const refresh = (timeoutMs = 300_000, run: CommandRunner = azure.run) =>
      refreshApimCertificates({ az: new AzureCli({ run, subscription: SUBSCRIPTION, env: {} }), manifest: deploymentManifest(config), log, clock, timeoutMs, pollMs: 15_000, workDir: dir });
    return { azure, log, refresh, clock };
  }

  it('refreshes each certificate from Key Vault, waits until APIM serves the current thumbprint, and points the backend at it', async () => {
    const { azure, log, refresh } = setup();
    expect(await refresh()).toEqual({ failed: [] });
    expect(log.lines).toEqual([
      "mtls-backend: API Management serves BBBB…BBBB, Key Vault's current version; backend mtls-backend presents it",
      "partner-orders: API Management serves BBBB…BBBB, Key Vault's current version",
    ]);
    const base = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-qa/providers/Microsoft.ApiManagement/service/apim-payments-qa`;
    expect(azure.commands('rest').slice(0, 2)).toEqual([
      ['rest', '--method', 'post', '--url', `${base}/certificates/mtls-backend/refreshSecret?api-version=2024-05-01`, '--subscription', SUBSCRIPTION, '--only-show-errors', '-o', 'json'],
      ['rest', '--method', 'get', '--url', `${base}/certificates/mtls-backend?api-version=2024-05-01`, '--subscription', SUBSCRIPTION, '--only-show-errors', '-o', 'json'],
    ]);
    const patch = azure.commands('rest').find((args) => args.includes('patch'))!;
    expect(patch).toEqual(expect.arrayContaining(['--headers', 'If-Match=*', '--body', `@${path.join(dir, 'backend-mtls_backend.json')}`]));
    expect(azure.backends.get('mtls-backend')).toEqual([NEW.thumbprint]);
  });

  it('ends at a signal: the call it stopped is not a failed certificate, and the next certificate is not begun', async () => {
    const { azure, log, refresh } = setup();
    const interrupted = new AbortController();
    const run: CommandRunner = async (args, options) => {
      // Ctrl-C while APIM is being read back for the first certificate.
      if (args.includes('get') && args.some((a) => a.includes('/certificates/mtls-backend?'))) interrupted.abort();
      return azure.run(args, options);
    };
    const error = await refresh(300_000, interruptible(run, interrupted.signal)).then(() => undefined, (e: unknown) => e);
    expect((error as AzureCliError).kind).toBe('interrupted');
    expect(azure.commands('rest').filter((args) => args.some((a) => a.includes('partner-orders')))).toEqual([]);
    expect(log.text()).not.toContain('error:');
  });

  it('names the certificate whose Key Vault read fails, and goes on with the others', async () => {
    const { azure, log, refresh } = setup();
    azure.keyVaultCertificates.delete('mtls-backend');
    expect(await refresh()).toEqual({ failed: ['mtls-backend'] });
    expect(log.text()).toContain('error: mtls-backend: Key Vault has no readable current version of the certificate');
    expect(log.text()).toContain("partner-orders: API Management serves BBBB…BBBB, Key Vault's current version");
  });

  it('leaves a backend that already presents the current thumbprint alone', async () => {
    const { azure, refresh } = setup();
    azure.backends.set('mtls-backend', [NEW.thumbprint]);
    await refresh();
    expect(azure.commands('rest').filter((args) => args.includes('patch'))).toEqual([]);
  });

  it('fails by name within its one time bound when APIM does not converge, and never points the backend at what APIM does not serve', async () => {
    const { azure, log, refresh, clock } = setup();
    azure.apimRefreshLagReads = 1_000_000;
    const started = clock.now();
    expect(await refresh(60_000)).toEqual({ failed: ['mtls-backend', 'partner-orders'] });
    // One bound for the whole step: the second certificate gets what the first left, not a minute of its own.
    expect(clock.now() - started).toBeLessThanOrEqual(60_000);
    expect(log.text()).toContain("error: mtls-backend: API Management still serves AAAA…AAAA after 60 s, not Key Vault's current version BBBB…BBBB");
    expect(azure.commands('rest').filter((args) => args.includes('patch'))).toEqual([]);
  });
});
