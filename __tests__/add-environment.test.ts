import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { copyProject } from './support/project-copy';
import { environmentFile } from './support/test-project';

// What a team does first: add its own environment, exactly as the README says (one file, then synth and
// npm run pipelines), and the environment-wide tests still pass. In a copy of the project, so this keeps
// working whatever the shipped samples become.
const staging: EnvironmentConfig = {
  name: 'staging',
  subscriptionId: '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47',
  tenantId: 'b6e1d4a7-2c9f-4e35-8a1b-7f0c3d9e2a58',
  location: 'germanywestcentral',
  resourceGroup: { name: 'rg-orders-staging', existing: true },
  keyVault: { name: 'kv-orders-stg', existing: true, resourceGroupName: 'rg-security-staging' },
  apiManagement: { name: 'apim-fabrikam-staging', existing: true, resourceGroupName: 'rg-apim-staging' },
  deployers: [{ objectId: 'c4a7e2b9-5d1f-4e8a-b3c6-9f2d0e7a1b58', type: 'ServicePrincipal', description: 'pipeline: orders-staging' }],
  certificates: [
    // A legitimate warning: a whole API policy replaced, opted into (rule APIM4 warns at every synth).
    { name: 'orders-partner', backend: { url: 'https://orders.partner.example/v2' }, apiPolicy: { apiName: 'orders', replaceWholePolicy: true } },
    { name: 'billing-gateway', format: 'pem', secureFile: 'orders-staging-billing.pem' },
    { name: 'ledger-ec', key: { keyType: 'EC', curve: 'P-384', acceptEcKeyRisk: 'the ledger partner issues EC only; renewals are redeployed by hand' }, githubSecretPrefix: 'LEDGER' },
  ],
  state: { resourceGroupName: 'rg-orders-tfstate', storageAccountName: 'stordersstate' },
  pipeline: { order: 25, azureDevOps: { serviceConnection: 'sc-orders-staging' } },
};

describe('adding an environment', () => {
  let copy: ReturnType<typeof copyProject>;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, args, { cwd: copy.dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000 });

  beforeAll(() => {
    copy = copyProject({ withTests: true });
    fs.writeFileSync(path.join(copy.dir, 'environments', 'staging.ts'), environmentFile(staging));
  });
  afterAll(() => copy.remove());

  it('is one file: synth finds it and writes its stack, with the warnings its settings call for', () => {
    const result = run(['scripts/synth.js']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^warning: environments\/staging\.ts: .*APIM4/m);
    expect(result.stdout).toMatch(/stacks: .*\bstaging\b/);
    const manifest = JSON.parse(fs.readFileSync(path.join(copy.dir, 'cdktf.out', 'stacks', 'staging', 'deployment.json'), 'utf8'));
    expect(manifest.certificates.map((c: { stem: string }) => c.stem)).toEqual(['orders_partner', 'billing_gateway', 'ledger_ec']);
  });

  it('makes the committed pipelines stale until npm run pipelines regenerates them with it', () => {
    const stale = run(['scripts/run.js', 'scripts/pipelines.ts', '--check']);
    expect(stale.status).toBe(1);
    expect(stale.stdout + stale.stderr).toContain('npm run pipelines');
    expect(run(['scripts/run.js', 'scripts/pipelines.ts']).status).toBe(0);
    expect(run(['scripts/run.js', 'scripts/pipelines.ts', '--check']).status).toBe(0);
    const ado = fs.readFileSync(path.join(copy.dir, 'pipelines', 'azure-pipelines.yml'), 'utf8');
    expect(ado).toContain('orders-staging-billing.pem');
    expect(ado).toContain('sc-orders-staging');
    const github = fs.readFileSync(path.join(copy.dir, '.github', 'workflows', 'deploy.yml'), 'utf8');
    expect(github).toContain('secrets.LEDGER_PFX_BASE64');
    expect(github).toContain('secrets.BILLING_GATEWAY_PEM_BASE64');
  });

  it('passes the tests that hold for every environment, its warnings included: a tool that is missing is a named skip, never a failure', () => {
    // In band: this jest already runs beside the outer suite's workers, and three files do not repay a
    // worker pool of their own.
    const result = run(
      ['node_modules/jest/bin/jest.js', '--ci', '--runInBand', '__tests__/environment-registry.test.ts', '__tests__/pipeline-generator.test.ts', '__tests__/deployment-manifest.test.ts'],
      { REQUIRE_TEST_TOOLS: process.env.REQUIRE_TEST_TOOLS },
    );
    const summary = result.stderr.match(/^Tests:.*$/m)?.[0];
    expect([result.status, summary]).toEqual([0, expect.stringMatching(/^Tests:\s+(\d+ skipped, )?\d+ passed, \d+ total$/)]);
  }, 180_000);
});
