import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { applyStack, closeFirewall } from '../operations/apply-stack';
import { networkAclsChanges } from '../operations/plan-changes';
import { planStack } from '../operations/plan-stack';
import { memoryLog } from '../operations/step-log';
import type { StepTools } from '../operations/step-tools';
import { StepFailure } from '../operations/step-failure';
import { FakeAzure } from './support/fake-azure';
import { FakeTerraform } from './support/fake-terraform';
import { hasOpenssl } from './support/openssl';
import { describeWith } from './support/required-tools';
import { instantClock, writeStackDirectory } from './support/stack-directory';
import { makeCertificate, type TestCertificate } from './support/test-certificates';
import { stateDocument } from './support/terraform-state';

// The plan and apply jobs of a pipeline (operations/plan-stack.ts, apply-stack.ts), run in-process with an
// in-memory Azure behind the az runner and a Terraform that models certificate inputs: every call
// recorded, with what reached each tool's command line and environment.

const SUBSCRIPTION = '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47';
const KEY = 'plan-key-that-is-long-enough-for-the-check-0123456789';

const environment: EnvironmentConfig = {
  name: 'orders-qa',
  subscriptionId: SUBSCRIPTION,
  location: 'westeurope',
  resourceGroup: { name: 'rg-orders-qa' },
  keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24'] } },
  apiManagement: { name: 'apim-orders-qa', publisherName: 'Orders', publisherEmail: 'orders@fabrikam.example' },
  deployers: [{ objectId: 'c4a7e2b9-5d1f-4e8a-b3c6-9f2d0e7a1b58', type: 'ServicePrincipal' }],
  certificates: [{ name: 'partner-pfx', backend: { url: 'https://partner.fabrikam.example' } }, { name: 'ledger-pem', format: 'pem' }],
  state: { resourceGroupName: 'rg-orders-tfstate', storageAccountName: 'stordersstate' },
};

describeWith(hasOpenssl, 'openssl (to make the certificates)')('the pipeline plan and apply steps, in-process', () => {
  let root: string;
  let pfx: TestCertificate;
  let pem: TestCertificate;
  let renewed: TestCertificate;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-stack-'));
    pfx = makeCertificate(root, 'partner', { days: 400 });
    pem = makeCertificate(root, 'ledger', { days: 400 });
    renewed = makeCertificate(root, 'partner-renewed', { days: 800 });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  function scenario(config: EnvironmentConfig = environment, env: NodeJS.ProcessEnv = {}) {
    const dir = fs.mkdtempSync(path.join(root, 'run-'));
    const stackDir = writeStackDirectory(dir, config);
    const jobTemp = path.join(dir, 'agent-temp');
    fs.mkdirSync(jobTemp);
    const azure = new FakeAzure().vault('kv-orders-qa', { resourceGroup: 'rg-orders-qa', ipRules: ['52.10.20.0/24'] });
    azure.subscription = SUBSCRIPTION;
    azure.subscriptions = new Set([SUBSCRIPTION]);
    const terraform = new FakeTerraform();
    const log = memoryLog();
    const baseEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      TMPDIR: dir,
      TF_BUILD: 'True',
      AGENT_TEMPDIRECTORY: jobTemp,
      BUILD_BUILDID: '4711',
      SYSTEM_JOBID: 'plan',
      TF_PLAN_ENCRYPTION_KEY: KEY,
      AGENT_IP: '20.50.60.70',
      TF_VAR_partner_pfx_pfx_path: pfx.pfx,
      TF_VAR_partner_pfx_pfx_password: pfx.password,
      PEM_FILE_ledger_pem: pem.pem,
      ...env,
    };
    const tools = (extra: NodeJS.ProcessEnv = {}): StepTools => ({
      az: azure.run,
      terraform: terraform.run,
      lookup: async () => {
        throw new Error('no lookup: AGENT_IP is set');
      },
      clock: instantClock(),
      log,
      env: { ...baseEnv, ...extra },
      platform: process.platform,
    });
    return { dir, stackDir, jobTemp, azure, terraform, log, tools, planDir: path.join(dir, 'plan') };
  }

  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof StepFailure) return error.message;
      throw error;
    }
    throw new Error('expected the step to fail');
  };

  it('plans with each certificate staged owner-only in the job temp directory, and leaves only the sealed plan, the redacted text and the summary', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    expect(fs.readdirSync(s.planDir).sort()).toEqual(['plan.txt', 'summary.md', 'tfplan.enc']);
    // On Azure DevOps the summary goes on the run's summary page by the agent's own logging command.
    expect(s.log.lines).toContain(`command: ##vso[task.uploadsummary]${path.join(s.planDir, 'summary.md')}`);
    const plan = s.terraform.calls.find((c) => c.args.includes('plan'))!;
    expect(plan.env.TF_VAR_partner_pfx_pfx_path).toBe('.certificates/partner_pfx.pfx');
    expect(plan.env.TF_VAR_ledger_pem_pfx_path).toBe('.certificates/ledger_pem.pfx');
    // Nothing in clear outlives the step: no staged certificate, no plan, no link into them.
    expect(fs.readdirSync(s.jobTemp).filter((f) => !f.startsWith('apimcert-firewall-'))).toEqual([]);
    // readdirSync, not existsSync: a dangling link (its target went with the work directory) reads as absent.
    expect(fs.readdirSync(s.stackDir)).not.toContain('.certificates');
  });

  it('leaves no staged certificate, plan file or .certificates link behind when terraform plan fails', async () => {
    const s = scenario();
    s.terraform.failing = { command: 'plan', status: 1 };
    expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain('terraform plan');
    // The certificates were staged, and named to Terraform, before it failed.
    expect(s.terraform.calls.find((c) => c.args.includes('plan'))!.env.TF_VAR_partner_pfx_pfx_path).toBe('.certificates/partner_pfx.pfx');
    expect(fs.readdirSync(s.jobTemp).filter((f) => !f.startsWith('apimcert-firewall-'))).toEqual([]);
    // Listed, not followed: a link left behind into a removed directory is still a link.
    expect(fs.readdirSync(s.stackDir)).not.toContain('.certificates');
    expect(fs.existsSync(path.join(s.planDir, 'tfplan.enc'))).toBe(false);
  });

  it('never puts a password, given or derived, or the plan key on a command line, into az, or into the log, summary or plan text', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const derived = s.terraform.calls.find((c) => c.args.includes('plan'))!.env.TF_VAR_ledger_pem_pfx_password as string;
    expect(derived).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const everywhere = [
      JSON.stringify(s.terraform.calls.map((c) => c.args)),
      JSON.stringify(s.azure.calls),
      s.log.text(),
      fs.readFileSync(path.join(s.planDir, 'summary.md'), 'utf8'),
      fs.readFileSync(path.join(s.planDir, 'plan.txt'), 'utf8'),
    ].join('\n');
    for (const secret of [pfx.password, derived, KEY]) expect(everywhere).not.toContain(secret);
  });

  it('gives Terraform byte-identical inputs for the same PEM on every run, so a second plan of an unchanged environment changes nothing', async () => {
    const first = scenario();
    await planStack(first.tools(), { stackDir: first.stackDir, outDir: first.planDir });
    await applyStack(first.tools({ SYSTEM_JOBID: 'apply' }), { stackDir: first.stackDir, planDir: first.planDir });
    const firstInputs = first.terraform.calls.find((c) => c.args.includes('plan'))!.env;
    first.terraform.calls.length = 0;
    await planStack(first.tools({ BUILD_BUILDID: '4712' }), { stackDir: first.stackDir, outDir: path.join(first.dir, 'plan-2') });
    const secondInputs = first.terraform.calls.find((c) => c.args.includes('plan'))!.env;
    expect(secondInputs.TF_VAR_ledger_pem_pfx_password).toBe(firstInputs.TF_VAR_ledger_pem_pfx_password);
    expect(fs.readFileSync(path.join(first.dir, 'plan-2', 'plan.txt'), 'utf8')).toMatch(/^No changes/);
    expect(fs.readFileSync(path.join(first.dir, 'plan-2', 'summary.md'), 'utf8')).toContain('No changes');
  });

  it('gives Terraform the inputs it imported last for a file whose thumbprint Key Vault already holds, even one exported afresh', async () => {
    const s = scenario();
    s.terraform.state = stateDocument({
      'partner-pfx': { keyVault: { pem: fs.readFileSync(pfx.pem, 'utf8'), imported: { contents: Buffer.from('the bytes imported last').toString('base64'), password: 'the password imported last' } } },
    });
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const plan = s.terraform.calls.find((c) => c.args.includes('plan'))!;
    expect(plan.env.TF_VAR_partner_pfx_pfx_password).toBe('the password imported last');
    expect(s.log.text()).toContain('partner-pfx: the file is the certificate Key Vault holds; Terraform gets the inputs it imported last');
  });

  it('applies in a fresh stack copy with no certificate variable, from the sealed plan alone, the same bytes the plan read', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const applyDir = fs.mkdtempSync(path.join(root, 'apply-'));
    const applyStackDir = writeStackDirectory(applyDir, environment);
    await applyStack(s.tools({ TF_VAR_partner_pfx_pfx_path: '', TF_VAR_partner_pfx_pfx_password: '', PEM_FILE_ledger_pem: '' }), { stackDir: applyStackDir, planDir: s.planDir });
    expect(s.terraform.commands()).toEqual(['init', 'show', 'plan', 'show', 'show', 'init', 'apply']);
    expect(fs.readFileSync(path.join(applyStackDir, '.terraform.lock.hcl'), 'utf8')).toBe('# provider hashes\n');
    expect(fs.readdirSync(applyStackDir)).not.toContain('.certificates');
  });

  it('leaves no plan file, staged certificate or .certificates link behind when terraform apply fails', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    s.terraform.failing = { command: 'apply', status: 1 };
    expect(await failure(applyStack(s.tools({ SYSTEM_JOBID: 'apply' }), { stackDir: s.stackDir, planDir: s.planDir }))).toContain('terraform apply');
    expect(s.terraform.commands().at(-1)).toBe('apply');
    // Only the firewall record, for the close step, stays in the job's temporary directory.
    expect(fs.readdirSync(s.jobTemp).filter((f) => !f.startsWith('apimcert-firewall-'))).toEqual([]);
    // Listed, not followed: a link left behind into a removed directory is still a link.
    expect(fs.readdirSync(s.stackDir)).not.toContain('.certificates');
  });

  it.each([
    ['another plan key', { TF_PLAN_ENCRYPTION_KEY: `${KEY}-other` }, 'does not authenticate'],
    ['another run', { BUILD_BUILDID: '9999' }, 'sealed for another pipeline run'],
  ])('refuses a sealed plan of %s before Terraform applies anything', async (_, change, message) => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const before = s.terraform.calls.length;
    expect(await failure(applyStack(s.tools(change), { stackDir: s.stackDir, planDir: s.planDir }))).toContain(message);
    expect(s.terraform.calls.length).toBe(before);
  });

  it('refuses a sealed plan of another environment, even with the same key and run', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const other = writeStackDirectory(fs.mkdtempSync(path.join(root, 'other-')), { ...environment, name: 'orders-prod' });
    expect(await failure(applyStack(s.tools(), { stackDir: other, planDir: s.planDir }))).toContain('sealed for another environment');
  });

  it('names every missing certificate variable before anything runs', async () => {
    const s = scenario(environment, { TF_VAR_partner_pfx_pfx_password: undefined, PEM_FILE_ledger_pem: '$(ledger_pem)' });
    const message = await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }));
    expect(message).toContain('TF_VAR_partner_pfx_pfx_password');
    expect(message).toContain('PEM_FILE_ledger_pem');
    expect(s.azure.calls).toEqual([]);
    expect(s.terraform.calls).toEqual([]);
  });

  it('names, in one line, a certificate file that does not exist, before anything runs', async () => {
    const missing = path.join(root, 'partner-renewed-typo.pfx');
    const s = scenario(environment, { TF_VAR_partner_pfx_pfx_path: missing });
    const message = await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }));
    expect(message).toBe(`${missing}: no file or directory exists at this path. Fix: check the spelling and the current directory (paths are relative to where the command runs). (certificate partner-pfx)`);
    expect(s.azure.calls).toEqual([]);
    expect(s.terraform.calls).toEqual([]);
  });

  it('stops before terraform plan when a certificate file fails the pre-flight, naming the file', async () => {
    const s = scenario(environment, { TF_VAR_partner_pfx_pfx_password: 'not-the-password' });
    expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain('a certificate file fails the pre-flight (above); nothing was planned');
    expect(s.log.lines.find((line) => line.startsWith(`${pfx.pfx}: `))).toContain(': error: the password in TF_VAR_partner_pfx_pfx_password does not open this PFX');
    expect(s.log.text()).toContain(`${pem.pem}: ok (certificate ledger-pem)`);
    expect(s.terraform.commands()).not.toContain('plan');
    expect(fs.existsSync(path.join(s.planDir, 'tfplan.enc'))).toBe(false);
  });

  it('refuses a missing or short plan key, and a stack with local state, before anything runs', async () => {
    expect(await failure(planStack(scenario(environment, { TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' }).tools(), { stackDir: scenario().stackDir, outDir: path.join(root, 'x') }))).toContain(
      'TF_PLAN_ENCRYPTION_KEY is not set',
    );
    const s = scenario();
    writeStackDirectory(s.dir, environment, { local: { path: 'terraform.tfstate' } });
    expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain('keeps local state');
  });

  it('passes the stack\'s subscription on every az call', async () => {
    const s = scenario();
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    const azCalls = s.azure.commands();
    expect(azCalls.length).toBeGreaterThan(3);
    for (const args of azCalls) expect(args.slice(args.indexOf('--subscription'), args.indexOf('--subscription') + 2)).toEqual(['--subscription', SUBSCRIPTION]);
    // Terraform is pointed at the same subscription.
    expect(s.terraform.calls.every((c) => c.env.ARM_SUBSCRIPTION_ID === SUBSCRIPTION)).toBe(true);
  });

  it('stops, naming the register command, when a resource provider the stack needs is not registered', async () => {
    const s = scenario();
    s.azure.providers['Microsoft.ApiManagement'] = 'NotRegistered';
    expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain('Microsoft.ApiManagement');
    expect(s.log.text()).toContain(`az provider register --namespace Microsoft.ApiManagement --subscription ${SUBSCRIPTION}`);
    expect(s.terraform.calls).toEqual([]);
  });

  it('warns about a resource provider whose registration state it cannot read, and plans anyway', async () => {
    // Not knowing is no reason to stop: a deployer whose roles stop at a resource group may lack the read.
    const s = scenario();
    s.azure.failures.set('provider show', { stderr: "ERROR: (AuthorizationFailed) The client 'deployer' does not have authorization to perform action 'Microsoft.Resources/subscriptions/providers/read'", times: 1 });
    await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
    expect(s.log.text()).toContain('warning: could not read the registration state of resource provider Microsoft.ApiManagement: ERROR: (AuthorizationFailed)');
    expect(s.log.text()).toContain('resource provider Microsoft.KeyVault is Registered');
    expect(s.terraform.commands()).toContain('plan');
    expect(fs.existsSync(path.join(s.planDir, 'tfplan.enc'))).toBe(true);
  });

  describe('the rotation review before the plan', () => {
    const deployed = (certificate: TestCertificate, key = { keyType: 'RSA' as const, keySize: 2048 }) =>
      stateDocument({ 'partner-pfx': { keyVault: { pem: fs.readFileSync(certificate.pem, 'utf8'), key } } });

    it('puts the rotation, the firewall rules the apply changes and the plan on the summary page', async () => {
      const s = scenario(environment, { TF_VAR_partner_pfx_pfx_path: renewed.pfx, TF_VAR_partner_pfx_pfx_password: renewed.password });
      s.terraform.state = deployed(pfx);
      s.azure.vault('kv-orders-qa', { resourceGroup: 'rg-orders-qa', ipRules: ['198.18.0.0/15'.replace('198.18.0.0/15', '40.1.2.3/32')] });
      await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
      const summary = fs.readFileSync(path.join(s.planDir, 'summary.md'), 'utf8');
      expect(summary).toContain(`| partner-pfx | new version in place | ${pfx.thumbprint.slice(0, 4)}…${pfx.thumbprint.slice(-4)} (expires`);
      expect(summary).toContain('add `52.10.20.0/24`');
      expect(summary).toContain('remove `40.1.2.3/32` (not configured)');
      expect(summary).toMatch(/Plan: \d+ to add, \d+ to change/);
    });

    it('refuses a certificate that expires before the one in place, saying so on the summary, unless ALLOW_EARLIER_EXPIRY is 1 or true', async () => {
      const s = scenario();
      s.terraform.state = deployed(renewed);
      expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain('refused');
      expect(fs.readFileSync(path.join(s.planDir, 'summary.md'), 'utf8')).toContain('Not planned');
      expect(s.terraform.commands()).not.toContain('plan');
      for (const value of ['1', 'true', 'True']) {
        const allowed = scenario(environment, { ALLOW_EARLIER_EXPIRY: value });
        allowed.terraform.state = deployed(renewed);
        await planStack(allowed.tools(), { stackDir: allowed.stackDir, outDir: allowed.planDir });
      }
      for (const value of ['False', '', '$(ALLOW_EARLIER_EXPIRY)']) {
        const refused = scenario(environment, { ALLOW_EARLIER_EXPIRY: value });
        refused.terraform.state = deployed(renewed);
        await failure(planStack(refused.tools(), { stackDir: refused.stackDir, outDir: refused.planDir }));
      }
    });

    it('refuses a change of the key Key Vault\'s policy holds (azurerm would call CreateCertificate), naming both keys and the way out', async () => {
      const s = scenario({ ...environment, certificates: [{ name: 'partner-pfx', key: { keyType: 'RSA', keySize: 2048 } }] });
      s.terraform.state = deployed(pfx, { keyType: 'RSA', keySize: 3072 } as never);
      await failure(planStack(s.tools({ PEM_FILE_ledger_pem: undefined }), { stackDir: s.stackDir, outDir: s.planDir }));
      expect(s.log.text()).toContain('partner-pfx: the policy changes (key RSA 3072 → RSA 2048)');
      expect(s.log.text()).toContain('"Changing a certificate\'s key"');
      const allowed = scenario({ ...environment, certificates: [{ name: 'partner-pfx' }] }, { ALLOW_POLICY_CHANGE: 'partner-pfx' });
      allowed.terraform.state = deployed(pfx, { keyType: 'RSA', keySize: 3072 } as never);
      await planStack(allowed.tools({ PEM_FILE_ledger_pem: undefined }), { stackDir: allowed.stackDir, outDir: allowed.planDir });
    });

    it('refuses a file whose key is not the declared one, in the pipeline as in synth', async () => {
      const s = scenario({ ...environment, certificates: [{ name: 'partner-pfx', key: { keyType: 'RSA', keySize: 3072 } }] });
      await failure(planStack(s.tools({ PEM_FILE_ledger_pem: undefined }), { stackDir: s.stackDir, outDir: s.planDir }));
      expect(s.log.text()).toContain("partner-pfx: the file's key is RSA 2048, the declared RSA 3072");
    });
  });

  describe("the vault's firewall", () => {
    it('closes, whatever happened, only what this job opened', async () => {
      const s = scenario();
      s.terraform.failing = { command: 'plan', status: 1 };
      await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }));
      expect(s.azure.vaults.get('kv-orders-qa')!.ipRules).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
      await closeFirewall(s.tools(), { stackDir: s.stackDir });
      expect(s.azure.vaults.get('kv-orders-qa')!.ipRules).toEqual(['52.10.20.0/24']);
    });

    it('adds a rule added to the configuration in the approved apply, not in the plan, also with AGENT_NETWORK_ACCESS=false', async () => {
      const config = { ...environment, keyVault: { ...environment.keyVault, networkAcls: { defaultAction: 'Deny' as const, ipRules: ['52.10.20.0/24', '13.80.0.0/16'] } } };
      const s = scenario(config, { AGENT_NETWORK_ACCESS: 'false' });
      s.azure.vault('kv-orders-qa', { resourceGroup: 'rg-orders-qa', ipRules: ['52.10.20.0/24', '20.50.60.0/24'] });
      await planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir });
      expect(s.azure.vaults.get('kv-orders-qa')!.ipRules).toEqual(['52.10.20.0/24', '20.50.60.0/24']);
      expect(fs.readFileSync(path.join(s.planDir, 'summary.md'), 'utf8')).toContain('add `13.80.0.0/16`');
      await applyStack(s.tools({ SYSTEM_JOBID: 'apply' }), { stackDir: s.stackDir, planDir: s.planDir });
      expect(s.azure.vaults.get('kv-orders-qa')!.ipRules).toEqual(['52.10.20.0/24', '13.80.0.0/16']);
    });

    it("refuses a plan that changes a vault's network_acls, which would ship the plan job's rules", async () => {
      const s = scenario();
      s.terraform.extraChanges = [
        {
          address: 'azurerm_key_vault.KeyVault_Resource_1A2B3C4D',
          type: 'azurerm_key_vault',
          change: {
            actions: ['update'],
            before: { name: 'kv-orders-qa', resource_group_name: 'rg-orders-qa', network_acls: [{ default_action: 'Allow', bypass: 'AzureServices' }] },
            after: { name: 'kv-orders-qa', resource_group_name: 'rg-orders-qa', network_acls: [{ default_action: 'Deny', bypass: 'AzureServices' }] },
          },
        },
      ];
      expect(await failure(planStack(s.tools(), { stackDir: s.stackDir, outDir: s.planDir }))).toContain("changes a vault's network_acls");
      expect(s.log.text()).toContain('default_action "Allow" → "Deny"');
      // The fix is the whole command, for this vault in this subscription, with the values the plan wants.
      expect(s.log.text()).toContain(`az keyvault update --name kv-orders-qa --resource-group rg-orders-qa --subscription ${SUBSCRIPTION} --default-action Deny --bypass AzureServices)`);
      expect(fs.existsSync(path.join(s.planDir, 'tfplan.enc'))).toBe(false);
    });

    it('gives, for a change of the subnets alone, the network-rule commands that make it (az keyvault update changes no subnet)', () => {
      const subnet = (name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/${name}`;
      const acls = (subnets: string[]) => [{ default_action: 'Deny', bypass: 'AzureServices', virtual_network_subnet_ids: subnets }];
      const plan = {
        resource_changes: [
          {
            address: 'azurerm_key_vault.KeyVault',
            type: 'azurerm_key_vault',
            change: { actions: ['update'], before: { name: 'kv-orders-qa', resource_group_name: 'rg-orders-qa', network_acls: acls([subnet('a')]) }, after: { name: 'kv-orders-qa', resource_group_name: 'rg-orders-qa', network_acls: acls([subnet('b')]) } },
          },
        ],
      };
      const [refusal, ...rest] = networkAclsChanges(plan, SUBSCRIPTION);
      expect(rest).toEqual([]);
      const vault = `--name kv-orders-qa --resource-group rg-orders-qa --subscription ${SUBSCRIPTION}`;
      expect(refusal).toContain(`(az keyvault network-rule add ${vault} --subnet ${subnet('b')}; az keyvault network-rule remove ${vault} --subnet ${subnet('a')})`);
      expect(refusal).not.toContain('az keyvault update');
    });
  });
});
