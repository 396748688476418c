import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import type { EnvironmentConfig } from '../config/environment-config';
import { reportCertificates } from '../operations/certificate-report';
import { memoryLog } from '../operations/step-log';
import type { StepTools } from '../operations/step-tools';
import { FakeAzure } from './support/fake-azure';
import { FakeTerraform } from './support/fake-terraform';
import { instantClock } from './support/stack-directory';

// operations/certificate-report.ts: each declared certificate's current version in Key Vault, its expiry
// and what APIM serves, from Azure as it is now (or from a state); exit 0 only when every one was found,
// read and is fine.

const SUBSCRIPTION = '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47';
const NOW = new Date('2026-12-04T10:00:00Z');
const FINE = { thumbprint: 'B'.repeat(40), expires: '2027-12-01T00:00:00Z' };
const config: EnvironmentConfig = {
  name: 'payments-qa',
  subscriptionId: SUBSCRIPTION,
  location: 'northeurope',
  resourceGroup: { name: 'rg-payments-qa' },
  keyVault: { name: 'kv-payments-qa', networkAcls: { defaultAction: 'Deny' } },
  apiManagement: { name: 'apim-payments-qa', publisherName: 'Payments', publisherEmail: 'payments@fabrikam.example' },
  deployers: [],
  certificates: [{ name: 'mtls-backend' }, { name: 'partner-orders' }],
  expiryWarnings: { daysBeforeExpiry: 45 },
};

describe('the certificate expiry report', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function setup(env: NodeJS.ProcessEnv = {}) {
    const azure = new FakeAzure().vault('kv-payments-qa', { resourceGroup: 'rg-payments-qa' });
    azure.subscription = SUBSCRIPTION;
    for (const name of ['mtls-backend', 'partner-orders']) {
      azure.keyVaultCertificates.set(name, FINE);
      azure.apimCertificates.set(name, FINE);
    }
    const log = memoryLog();
    let out = '';
    const tools: StepTools = { az: azure.run, terraform: new FakeTerraform().run, lookup: async () => '20.50.60.70', clock: instantClock(), log, env: { TMPDIR: dir, ...env }, platform: process.platform };
    const report = (options: { json?: boolean; summary?: boolean } = {}) =>
      reportCertificates(tools, { manifest: deploymentManifest(config), source: { kind: 'azure' }, now: NOW, json: options.json, summaryFile: options.summary ? path.join(dir, 'summary.md') : undefined, write: (t) => (out += t) });
    return { azure, log, report, out: () => out };
  }

  it("reads Azure as it is now, through the vault's firewall opened for the report and closed after, and exits 0 when all is fine", async () => {
    const { azure, report, out } = setup();
    expect(await report({ summary: true })).toBe(0);
    expect(out()).toContain('mtls-backend: Key Vault BBBB…BBBB, expires 2027-12-01 (361 days left); APIM serves it');
    expect(azure.commands('keyvault network-rule').map((c) => c.slice(0, 3).join(' '))).toEqual(['keyvault network-rule add', 'keyvault network-rule remove']);
    expect(azure.vaults.get('kv-payments-qa')!.ipRules).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('Every certificate is valid for more than 45 days');
  });

  it("warns from the environment's own daysBeforeExpiry, not a fixed 30", async () => {
    const { azure, report, out } = setup();
    azure.keyVaultCertificates.set('mtls-backend', { ...FINE, expires: '2027-01-10T00:00:00Z' });
    azure.apimCertificates.set('mtls-backend', { ...FINE, expires: '2027-01-10T00:00:00Z' });
    expect(await report()).toBe(1);
    expect(out()).toContain('(36 days left); APIM serves it — renew it soon');
  });

  it('exits 1 when APIM serves another version than Key Vault\'s current one', async () => {
    const { azure, report, out } = setup();
    azure.apimCertificates.set('partner-orders', { thumbprint: 'A'.repeat(40), expires: '2027-06-01T00:00:00Z' });
    expect(await report()).toBe(1);
    expect(out()).toContain('partner-orders: Key Vault BBBB…BBBB, expires 2027-12-01 (361 days left); APIM STILL SERVES AAAA…AAAA');
  });

  it('exits 2, naming the certificate, when one it declares is not in Key Vault, or its values cannot be believed', async () => {
    const missing = setup();
    missing.azure.keyVaultCertificates.delete('partner-orders');
    expect(await missing.report({ summary: true })).toBe(2);
    expect(missing.out()).toContain('partner-orders: NO REPORT: partner-orders: Key Vault holds no certificate of this name');
    const odd = setup();
    odd.azure.keyVaultCertificates.set('mtls-backend', { thumbprint: '\n<!--', expires: 'soon' });
    expect(await odd.report()).toBe(2);
    expect(odd.out()).not.toContain('<!--');
  });

  it('exits 2 and still writes a "no report" summary when the report could not be made at all', async () => {
    const { azure, report } = setup();
    azure.loggedIn = false;
    await expect(report({ summary: true })).rejects.toMatchObject({ message: expect.stringContaining('no usable Azure login'), exitCode: 2 });
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('No report: it could not be made');
  });

  it('never passes on a value from the state it could not shape-check, in --json output as in text', async () => {
    const hostile = {
      format_version: '1.0',
      values: { root_module: { resources: [{ mode: 'managed', type: 'azurerm_key_vault_certificate', values: { name: 'mtls-backend', thumbprint: '##vso[task.complete result=Succeeded]', certificate_attribute: [{ expires: '\n<!--\u202e' }] } }] } },
    };
    for (const json of [true, false]) {
      let out = '';
      const tools: StepTools = { az: new FakeAzure().run, terraform: new FakeTerraform().run, lookup: async () => '', clock: instantClock(), log: memoryLog(), env: {}, platform: process.platform };
      expect(await reportCertificates(tools, { manifest: undefined, source: { kind: 'document', document: hostile }, json, now: NOW, write: (t) => (out += t) })).toBe(2);
      expect(out).toContain('mtls-backend');
      for (const bad of ['##vso[', '<!--', '\u202e']) expect(out).not.toContain(bad);
    }
  });
});
