import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { AZ_CLI_MISSING, resolveAzCli } from './support/az-cli';
import { describeWithProviders, resolveProviders } from './support/azurerm-provider';
import { describeWith, TOOLS } from './support/required-tools';
import { projectWithEnvironments } from './support/test-project';

// npm run rehearse as a user runs it: the command in a copy of the project holding a team's environment,
// with az, terraform and the providers as a user's machine would have them (on PATH, and a provider build
// named by APIMCERT_AZURERM_PROVIDER_DIR), and no certificate file given, so that it makes its own. The
// environment reuses what a landing zone has (resource group, vault, APIM): what the rehearsal seeds.

const az = resolveAzCli();
const providers = resolveProviders();
const hasTerraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
const toolMissing = !az ? AZ_CLI_MISSING : !TOOLS.openssl() ? 'openssl' : !hasTerraform ? 'terraform (on PATH)' : process.platform !== 'linux' ? 'Linux (the provider trusts the test CA only there)' : undefined;
const suite = toolMissing ? describeWith(false, toolMissing) : describeWithProviders(providers);

const environment: EnvironmentConfig = {
  name: 'ledger-rh',
  subscriptionId: '6e2b9d41-3c7a-4f58-8a19-2d5c7e0f4b63',
  location: 'northeurope',
  resourceGroup: { name: 'rg-ledger-rh', existing: true },
  keyVault: { name: 'kv-ledger-rh', existing: true },
  apiManagement: { name: 'apim-ledger-rh', existing: true },
  deployers: [{ objectId: '1f4a7c2e-9b3d-4e68-a5f1-7c0d2b8e6a94', type: 'ServicePrincipal', description: 'pipeline: ledger-rh' }],
  certificates: [{ name: 'ledger-partner', format: 'pem', backend: { url: 'https://ledger.fabrikam.example/api' } }],
  state: { resourceGroupName: 'rg-ledger-tfstate', storageAccountName: 'stledgerrhtfstate' },
};

suite('npm run rehearse, as a user runs it', () => {
  jest.setTimeout(300_000);
  let project: ReturnType<typeof projectWithEnvironments>;
  beforeAll(() => {
    project = projectWithEnvironments([environment]);
  });
  afterAll(() => project?.remove());

  it("runs the environment's whole pipeline against the emulator: plan, apply with the APIM refresh, a second plan with no change, the report", () => {
    // az as a user has it: on PATH (the pinned CLI's own directory), beside terraform.
    const azDir = path.dirname(az!.command);
    const result = spawnSync(process.execPath, ['scripts/run.js', 'scripts/rehearse.ts', environment.name], {
      cwd: project.dir,
      encoding: 'utf8',
      timeout: 280_000,
      env: { ...process.env, PATH: `${azDir}${path.delimiter}${process.env.PATH}`, APIMCERT_AZURERM_PROVIDER_DIR: path.dirname((providers as { providers: { azurerm: string } }).providers.azurerm) },
    });
    const output = result.stdout + result.stderr;
    // On a failure, the end of what it printed is the message.
    if (result.status !== 0) throw new Error(`npm run rehearse exited ${result.status}:\n${output.slice(-4000)}`);
    expect(output).toContain('certificate ledger-partner: PEM_FILE_ledger_partner is not set, so a self-signed certificate made for the rehearsal stands in for it');
    expect(output).toMatch(/^ok {4} {2}plan job \(plan, close-firewall\)/m);
    expect(output).toMatch(/^ok {4} {2}apply job \(apply, APIM refresh, close-firewall\)/m);
    expect(output).toMatch(/^ok {4} {2}second plan job: must show no change/m);
    expect(output).toMatch(/^ok {4} {2}expiry report \(from the emulated Azure\)/m);
    // The approver's page, shown as the plan job wrote it.
    expect(output).toContain('-- the summary page an approver would read:');
    // Nothing of the rehearsal is left behind, and cdktf.out was not touched.
    expect(fs.existsSync(path.join(project.dir, 'cdktf.out'))).toBe(false);
  });

  it('on Ctrl-C, stops the running call, starts no later step and removes what it wrote, with exit 130', async () => {
    const azDir = path.dirname(az!.command);
    // A TMPDIR of its own: everything the rehearsal and the emulator write lands there, so an empty one after is the proof.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-interrupt-'));
    try {
      const child = spawn(process.execPath, ['scripts/run.js', 'scripts/rehearse.ts', environment.name], {
        cwd: project.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: tmp, PATH: `${azDir}${path.delimiter}${process.env.PATH}`, APIMCERT_AZURERM_PROVIDER_DIR: path.dirname((providers as { providers: { azurerm: string } }).providers.azurerm) },
      });
      let output = '';
      let sent = false;
      const read = (chunk: Buffer) => {
        output += chunk;
        // Once the plan job has an az or terraform call under way: Ctrl-C as a terminal sends it to node.
        if (!sent && /^\[plan\] /m.test(output)) {
          sent = true;
          child.kill('SIGINT');
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(sent).toBe(true);
      expect([status, output.match(/^error: .*$/m)?.[0]]).toEqual([130, 'error: stopped by SIGINT: the rehearsal ended and removed what it wrote']);
      expect(output).not.toContain('== apply job');
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('says what it needs, with exit 2, when it cannot rehearse', () => {
    const result = spawnSync(process.execPath, ['scripts/run.js', 'scripts/rehearse.ts'], { cwd: project.dir, encoding: 'utf8' });
    expect([result.status, result.stderr.trim()]).toEqual([2, 'error: usage: npm run rehearse -- <env> [--keep]']);
  });
});
