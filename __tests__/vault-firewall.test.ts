import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import type { EnvironmentConfig } from '../config/environment-config';
import { acceptAgentAddress, agentAddress } from '../operations/agent-address';
import { AzureCli, AzureCliError } from '../operations/azure-cli';
import { type CommandRunner, interruptible } from '../operations/command-runner';
import { memoryLog } from '../operations/step-log';
import { StepFailure } from '../operations/step-failure';
import { FirewallSession, parseRuleChanges } from '../operations/vault-firewall';
import { FakeAzure } from './support/fake-azure';
import { instantClock } from './support/stack-directory';

// operations/vault-firewall.ts against an in-memory Azure: what open and close do to a vault's rules, the
// watcher of a first apply, the holds that keep one machine's runs from removing each other's rule, and
// the convergence of the configured rules.

const SUBSCRIPTION = '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47';
const config: EnvironmentConfig = {
  name: 'orders-qa',
  location: 'westeurope',
  resourceGroup: { name: 'rg-orders-qa' },
  keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24'] } },
  apiManagement: { name: 'apim-orders-qa', publisherName: 'Orders', publisherEmail: 'orders@fabrikam.example' },
  deployers: [],
  certificates: [{ name: 'mtls-backend' }],
};

describe("the vault's firewall for one run", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firewall-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function setup(environment: EnvironmentConfig = config, env: NodeJS.ProcessEnv = {}) {
    const azure = new FakeAzure().vault('kv-orders-qa', { ipRules: ['52.10.20.0/24'] });
    azure.subscription = SUBSCRIPTION;
    azure.subscriptions = new Set([SUBSCRIPTION]);
    const log = memoryLog();
    const fullEnv = { TMPDIR: dir, ...env };
    const session = (runId = 'run-1', recordFile = path.join(dir, `${runId}.json`), run: CommandRunner = azure.run) =>
      new FirewallSession({ az: new AzureCli({ run, subscription: SUBSCRIPTION, env: fullEnv }), manifest: deploymentManifest(environment), log, env: fullEnv, runId, recordFile, clock: instantClock(), pollMs: 10_000, waitMs: 60_000, watchMs: 600_000 });
    const rules = () => azure.vaults.get('kv-orders-qa')?.ipRules;
    return { azure, log, session, rules };
  }
  const address = (ip = '20.50.60.70') => async () => ip;

  it('open adds <agent ip>/32 and waits until the data plane lets this machine through; close removes it again', async () => {
    const { azure, session, rules, log } = setup();
    azure.firewallPropagationCalls = 2;
    const run = session();
    await run.open(address());
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
    expect(azure.commands('keyvault certificate list')).toHaveLength(3);
    expect(log.text()).toContain('its data plane answers this machine (20.50.60.70)');
    await run.close();
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it("open fails with the vault's answer when the firewall still refuses after the wait, and close still removes the rule", async () => {
    const { azure, session, rules } = setup();
    azure.firewallPropagationCalls = 1000;
    const run = session();
    await expect(run.open(address())).rejects.toThrow(/still refuses this machine \(20\.50\.60\.70\) after 60 s: .*Client address is not authorized/);
    await session().close();
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it('stops waiting for the data plane at a signal, and close still removes the rule: its call is a cleanup, which a signal does not stop', async () => {
    const { azure, session, rules } = setup();
    azure.firewallPropagationCalls = 1000;
    const interrupted = new AbortController();
    let reads = 0;
    // Ctrl-C comes while the second read of the data plane is under way.
    const run: CommandRunner = async (args, options) => {
      if (args.join(' ').startsWith('keyvault certificate list') && ++reads === 2) interrupted.abort();
      return azure.run(args, options);
    };
    const firewall = session('run-1', undefined, interruptible(run, interrupted.signal));
    const error = await firewall.open(address()).then(() => undefined, (e: unknown) => e);
    // Not the 60 s of retries a refused read gets, and not a "still refuses" verdict on the vault.
    expect(error).toBeInstanceOf(AzureCliError);
    expect((error as AzureCliError).kind).toBe('interrupted');
    expect(reads).toBe(2);
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
    await firewall.close();
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it('never removes a rule the vault had before the run (a self-hosted agent\'s, one added by hand)', async () => {
    const { azure, session, rules } = setup();
    azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24', '20.50.60.70/32'] });
    const run = session();
    await run.open(address());
    await run.close();
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
  });

  it('close leaves this machine\'s rule when it is one of the configured rules, though this run added it', async () => {
    // This machine's egress is listed in ipRules, but the vault lacks it (not converged yet): open adds it,
    // and close must keep it, or the plan job would remove a configured rule its sealed changes never add back.
    const { session, rules, log } = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24', '20.50.60.70/32'] } } });
    const run = session();
    await run.open(address());
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
    await run.close();
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
    expect(log.text()).toContain('vault kv-orders-qa: 20.50.60.70/32 is one of the configured rules, it stays');
  });

  it('close acts only on what this run recorded: another run\'s record in the same place is left alone', async () => {
    const { session, rules } = setup();
    await session('run-1', path.join(dir, 'record.json')).open(address());
    await session('run-2', path.join(dir, 'record.json')).close();
    expect(rules()).toContain('20.50.60.70/32');
    await session('run-1', path.join(dir, 'record.json')).close();
    expect(rules()).not.toContain('20.50.60.70/32');
  });

  it('keeps a rule another live run on this machine still holds, and removes it when the last one closes', async () => {
    const { session, rules } = setup();
    const first = session('run-1');
    const second = session('run-2');
    await first.open(address());
    await second.open(address());
    await first.close();
    expect(rules()).toContain('20.50.60.70/32');
    await second.close();
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it.each([
    ['a link to a directory of another', (holds: string, elsewhere: string) => fs.symlinkSync(elsewhere, holds)],
    [
      'a directory open to every user',
      (holds: string) => {
        fs.mkdirSync(holds);
        fs.chmodSync(holds, 0o777);
      },
    ],
  ])('does not trust a holds directory that is %s: a hold planted there keeps no rule open after close', async (_, plant) => {
    if (process.platform === 'win32') return; // POSIX ownership and modes; Windows' temp directory is per user
    const { session, rules, log } = setup();
    const holds = path.join(dir, `apimcert-firewall-holds-${process.getuid!()}`);
    const elsewhere = fs.mkdtempSync(path.join(dir, 'elsewhere-'));
    plant(holds, elsewhere);
    // Another user's forged hold of the agent's rule, for this vault.
    const forged = `${SUBSCRIPTION}_kv-orders-qa_20.50.60.70_32.forged.json`.toLowerCase();
    fs.writeFileSync(path.join(holds, forged), JSON.stringify({ rule: '20.50.60.70/32', pid: 1, runId: 'forged', until: Date.now() + 3_600_000 }));
    const run = session();
    await run.open(address());
    await run.close();
    expect(rules()).toEqual(['52.10.20.0/24']);
    expect(log.text()).toContain(`is not this user's alone (a link, another owner, or open to others): it is not used`);
    // Nothing of this run was written through the link.
    expect(fs.readdirSync(elsewhere).filter((f) => f !== forged)).toEqual([]);
  });

  const settle = async (done: () => boolean) => {
    for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('on a first apply, a watcher adds the rule once Terraform has created the vault, reads it back, and close removes it', async () => {
    const { azure, session, rules, log } = setup();
    azure.vaults.delete('kv-orders-qa');
    azure.onVaultShow = (_, calls) => {
      if (calls === 4) azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24'] });
    };
    const run = session();
    await run.open(address());
    expect(log.text()).toContain('kv-orders-qa does not exist yet: this run adds 20.50.60.70/32 as soon as Terraform has created it');
    await settle(() => log.text().includes('read back'));
    expect(rules()).toEqual(['52.10.20.0/24', '20.50.60.70/32']);
    await run.close();
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it('a watcher retries a failed add within its bound instead of giving up after one try', async () => {
    const { azure, session, rules, log } = setup();
    azure.vaults.delete('kv-orders-qa');
    azure.onVaultShow = (_, calls) => {
      if (calls === 2) azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24'] });
    };
    azure.failures.set('keyvault network-rule add', { stderr: 'ERROR: (Conflict) Another operation is in progress on this vault', times: 2 });
    const run = session();
    await run.open(address());
    await settle(() => log.text().includes('read back'));
    expect(rules()).toContain('20.50.60.70/32');
    expect(azure.commands('keyvault network-rule add')).toHaveLength(3);
    await run.close();
  });

  it('close stops a watcher still waiting for the vault, so no rule is added after it', async () => {
    const { azure, session, rules } = setup();
    azure.vaults.delete('kv-orders-qa');
    const run = session();
    await run.open(address());
    await run.close();
    azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24'] });
    await settle(() => false);
    expect(rules()).toEqual(['52.10.20.0/24']);
  });

  it.each([['false'], ['False']])('does nothing, and says why, with AGENT_NETWORK_ACCESS=%s', async (value) => {
    const { azure, session, log } = setup(config, { AGENT_NETWORK_ACCESS: value });
    await session().open(address());
    expect(azure.calls).toEqual([]);
    expect(log.text()).toContain('AGENT_NETWORK_ACCESS is false');
  });

  it('does nothing for a vault without firewall, and for one that takes no public traffic', async () => {
    const open = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Allow' } } });
    await open.session().open(address());
    expect(open.azure.calls).toEqual([]);
    const privateOnly = setup({ ...config, keyVault: { name: 'kv-orders-qa', existing: true, resourceGroupName: 'rg-orders-qa' } });
    privateOnly.azure.vault('kv-orders-qa', { publicNetworkAccess: 'Disabled' });
    await privateOnly.session().open(address());
    expect(privateOnly.log.text()).toContain('takes no public traffic');
    expect(privateOnly.azure.commands('keyvault network-rule')).toEqual([]);
  });

  it('adds nothing to an existing vault whose firewall lets every address through, and close then has nothing to close', async () => {
    // Only Azure knows an existing vault's firewall: open must ask, and not call network-rule add, which
    // the deployer of a vault owned by someone else may not be allowed to do.
    const { azure, session, log } = setup({ ...config, keyVault: { name: 'kv-orders-qa', existing: true, resourceGroupName: 'rg-orders-qa' } });
    azure.vault('kv-orders-qa', { defaultAction: 'Allow' });
    const run = session();
    await run.open(address());
    expect(azure.commands('keyvault show')).toHaveLength(1);
    expect(log.text()).toContain('vault kv-orders-qa lets every address through: nothing to open');
    await run.close();
    expect(azure.commands('keyvault network-rule')).toEqual([]);
    expect(log.text()).toContain('vault kv-orders-qa: this run opened nothing, nothing to close');
  });

  it('fails, without a watcher, when the existing vault the stack uses cannot be seen', async () => {
    const { azure, session } = setup({ ...config, keyVault: { name: 'kv-orders-qa', existing: true, resourceGroupName: 'rg-orders-qa' } });
    azure.vaults.clear();
    await expect(session().open(address())).rejects.toThrow(/existing vault kv-orders-qa in rg-orders-qa, which this identity cannot see/);
  });

  it('close never fails the run when the rule is already gone, and says how to remove it by hand', async () => {
    const { azure, session, log } = setup();
    const run = session();
    await run.open(address());
    azure.failures.set('keyvault network-rule remove', { status: 1, stderr: 'ERROR: (AuthorizationFailed) no' });
    await run.close();
    expect(log.text()).toContain(`warning: could not remove 20.50.60.70/32 from the network rules of vault kv-orders-qa (ERROR: (AuthorizationFailed) no). Fix: az keyvault network-rule remove --name kv-orders-qa --resource-group rg-orders-qa --ip-address 20.50.60.70/32 --subscription ${SUBSCRIPTION}`);
  });

  it('converges a created vault\'s rules to the configured ones, keeping the rules live runs on this machine hold', async () => {
    const { azure, session, rules } = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24', '13.80.0.0/16'] } } });
    azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24', '40.1.2.3/32'] });
    const other = session('run-other');
    azure.clientAddress = '40.90.1.1';
    await other.open(address('40.90.1.1'));
    const run = session();
    const approved = await run.plannedChanges();
    expect(approved).toEqual({ add: ['13.80.0.0/16'], remove: ['40.1.2.3/32'] });
    await run.applyApprovedChanges(approved);
    expect(rules()).toEqual(['52.10.20.0/24', '40.90.1.1/32', '13.80.0.0/16']);
    await other.close();
  });

  it('carries out only the changes the approver saw: a rule that appeared after the plan is left alone, and says so', async () => {
    const { azure, session, rules, log } = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24', '13.80.0.0/16'] } } });
    azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24', '40.1.2.3/32'] });
    const approved = await session().plannedChanges();
    // Between plan and apply: someone adds a rule by hand (or another machine's --allow-my-ip does).
    azure.vault('kv-orders-qa', { ipRules: ['52.10.20.0/24', '40.1.2.3/32', '51.140.0.9/32'] });
    expect(await session().applyApprovedChanges(approved)).toEqual({ add: ['13.80.0.0/16'], remove: ['40.1.2.3/32'] });
    expect(rules()).toEqual(['52.10.20.0/24', '51.140.0.9/32', '13.80.0.0/16']);
    expect(log.text()).toContain('vault kv-orders-qa: 51.140.0.9/32 is not configured, but the approved plan did not remove it (it appeared later): left alone');
  });

  it('takes a configured a.b.c.d and the vault\'s a.b.c.d/32 for the same rule: added once, then neither removed nor added again', async () => {
    // A team writes a single address without /32; Key Vault keeps it as <ip>/32. (FakeAzure's own
    // add and remove treat the two as one, so the az calls are counted, not only the rules.)
    const { azure, session, rules } = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24', '40.1.2.3'] } } });
    const first = await session().plannedChanges();
    expect(first).toEqual({ add: ['40.1.2.3'], remove: [] });
    await session().applyApprovedChanges(first);
    expect(rules()).toEqual(['52.10.20.0/24', '40.1.2.3/32']);
    // The next plan sees the vault's 40.1.2.3/32 as the configured 40.1.2.3: nothing to approve.
    const second = await session().plannedChanges();
    expect(second).toEqual({ add: [], remove: [] });
    expect(await session().applyApprovedChanges(second)).toEqual({ add: [], remove: [] });
    // A rerun of the first approved apply finds the rule there and adds nothing.
    expect(await session().applyApprovedChanges(first)).toEqual({ add: [], remove: [] });
    expect(rules()).toEqual(['52.10.20.0/24', '40.1.2.3/32']);
    expect(azure.commands('keyvault network-rule')).toEqual([expect.arrayContaining(['add', '--ip-address', '40.1.2.3'])]);
  });

  it('plans no rule changes for a vault the apply creates: Terraform writes its configured rules as it creates it', async () => {
    const { azure, session } = setup({ ...config, keyVault: { name: 'kv-orders-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['52.10.20.0/24'] } } });
    azure.vaults.delete('kv-orders-qa');
    const approved = await session().plannedChanges();
    expect(approved).toEqual({ add: [], remove: [] });
    // And an apply handed rules for a vault that is not there yet makes no az call that would fail.
    expect(await session().applyApprovedChanges({ add: ['52.10.20.0/24'], remove: [] })).toEqual({ add: [], remove: [] });
    expect(azure.commands('keyvault network-rule add')).toEqual([]);
  });

  it('reads back the sealed changes only in their shape', () => {
    expect(parseRuleChanges('{"add":["13.80.0.0/16"],"remove":[]}')).toEqual({ add: ['13.80.0.0/16'], remove: [] });
    expect(() => parseRuleChanges('{"add":["$(rm -rf /)"],"remove":[]}')).toThrow('firewall-changes.json is not a list of rules');
    expect(() => parseRuleChanges('{"add":[]}')).toThrow('firewall-changes.json is not a list of rules');
  });
});

describe("the agent's address", () => {
  it.each([
    ['<html>blocked</html>'],
    ['203.0.113.300'],
    ['2001:db8::1'],
    ['0.0.0.0'],
    ['10.1.2.3'],
    ['192.168.0.10'],
    ['020.050.060.070'],
    ['203.0.113.7'],
    ['20.50.60.70/24'],
    ['20.50.60.70\n##vso[task.setvariable variable=x]1'],
  ])('refuses %j, echoing at most a short escaped excerpt', (answer) => {
    let message = '';
    try {
      acceptAgentAddress(answer, 'https://api.ipify.org');
    } catch (error) {
      message = (error as StepFailure).message;
    }
    expect(message).toMatch(/^https:\/\/api\.ipify\.org answered ".{0,25}"?.* which is not a public IPv4 address/);
    expect(message).not.toContain('##vso[');
    expect(message).not.toMatch(/\n/);
  });

  it('takes a canonical public address, from AGENT_IP without asking, or from the lookup', async () => {
    expect(acceptAgentAddress('20.50.60.70\n', 'lookup')).toBe('20.50.60.70');
    expect(await agentAddress({ AGENT_IP: '52.1.2.3' }, async () => Promise.reject(new Error('not asked')))).toBe('52.1.2.3');
    expect(await agentAddress({ IP_LOOKUP_URL: 'https://ip.example.org/' }, async (url) => (url === 'https://ip.example.org/' ? '52.1.2.4' : 'x'))).toBe('52.1.2.4');
  });
});
