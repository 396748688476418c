import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { shortThumbprint } from '../rotation/deployed-certificates';
import { fingerprintOf, makeFakes, makePem, manifest, runPipelineScript, writeStack, type DeploymentManifest, type Fakes } from './support/pipeline-fakes';
import { hasOpenssl, makePfx, randomPassword } from './support/openssl';
import { describeWith } from './support/required-tools';
import { PROJECT_ROOT } from './support/run-command';
import { stateDocument, thumbprintOf } from './support/terraform-state';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

/** Runs a bash snippet with pipelines/scripts/guards.sh sourced, as the plan and apply scripts do. */
function withHelpers(script: string, env: Record<string, string> = {}) {
  return spawnSync('bash', ['-c', `source pipelines/scripts/guards.sh; ${script}`], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
}

const describeWithOpenssl = describeWith(hasOpenssl, 'openssl (to make the certificates)');
// terraform-plan.sh runs scripts/cert-rotation.ts in node (about 0.7 s a plan), and some tests plan twice:
// room for a loaded machine running every suite at once.
jest.setTimeout(30_000);
// With -{5}, not the marker written out: secret scanners take a full private-key marker for a committed key.
const UNENCRYPTED_KEY = /-{5}BEGIN PRIVATE KEY-{5}[\s\S]+?-{5}END PRIVATE KEY-{5}\n/;
const AGENT_IP = '198.51.100.7';
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const exists = (file: string) => fs.existsSync(file);

async function until(condition: () => boolean, seconds: number): Promise<boolean> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (condition()) return true;
  return condition();
}

/** A self-signed RSA client certificate valid for `days` days, as PEM: what Key Vault holds in a state. */
function certificatePem(dir: string, name: string, days: number): string {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${name}`], { stdio: 'ignore' });
  fs.rmSync(key);
  return fs.readFileSync(cert, 'utf8');
}

/** The client certificate in a PFX, as PEM. */
const certificateOfPfx = (pfx: string, password: string) =>
  execFileSync('openssl', ['pkcs12', '-in', pfx, '-clcerts', '-nokeys', '-passin', 'env:PFX_PASSWORD'], { env: { ...process.env, PFX_PASSWORD: password }, encoding: 'utf8' });

/** "2027-11-27": the day a PEM certificate expires, as the rotation table shows it. */
const expiryDay = (pem: string) => new Date(new crypto.X509Certificate(pem).validTo).toISOString().slice(0, 10);

/**
 * The environment the fake stacks of the plan tests belong to ("unit", as manifest() names it), with the
 * certificates they hold: scripts/cert-rotation.ts, which terraform-plan.sh runs, reads it from
 * environments/ of the project copy the scripts run in.
 */
const unitEnvironment: EnvironmentConfig = {
  ...qaEnvironment,
  name: 'unit',
  certificates: [{ name: 'orders-api' }, { name: 'billing-partner', format: 'pem' }],
};

/** Whether the watcher runs: an exited one that nobody has reaped yet shows as "[bash] <defunct>". */
const alive = (pid: number) => spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout.includes('vault-network.sh watch');

describe('pipeline script guards', () => {
  it('refuse a secret that Azure DevOps left as an unexpanded $(macro)', () => {
    const result = withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: TF_PLAN_ENCRYPTION_KEY is not set (add it as a secret variable');
  });

  it('refuse a missing or short encryption key, and accept a long one', () => {
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32').status).toBe(1);
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: 'short' }).stderr).toContain('shorter than 32 characters');
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: 'x'.repeat(48) }).status).toBe(0);
  });

  it('refuse a stack with local state, which an agent would throw away', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'));
    try {
      fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: 'x' } } } }, null, 2));
      expect(withHelpers(`require_remote_state ${dir}`).stderr).toContain('keeps local state');
      fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { azurerm: { key: 'x' } } } }, null, 2));
      expect(withHelpers(`require_remote_state ${dir}`).status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop the plan script before Terraform runs when the encryption key is missing', () => {
    const result = spawnSync('bash', ['pipelines/scripts/terraform-plan.sh', 'cdktf.out/stacks/none', path.join(os.tmpdir(), 'never')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('error: TF_PLAN_ENCRYPTION_KEY is not set (add it as a secret variable to the environment\'s variable group)');
  });
});

describe('vault-network.sh', () => {
  let fakes: Fakes;
  let stack: string;
  const deployment = manifest();
  const { name: vault, resourceGroupName: group } = deployment.keyVault;
  const az = (...args: string[]) => ['az', ...args];
  const ruleAdd = (ip: string) => az('keyvault', 'network-rule', 'add', '--name', vault, '--resource-group', group, '--ip-address', ip, '-o', 'none');
  const ruleRemove = (ip: string) => az('keyvault', 'network-rule', 'remove', '--name', vault, '--resource-group', group, '--ip-address', ip, '-o', 'none');
  const rules = () => (exists(path.join(fakes.state, 'rules')) ? fs.readFileSync(path.join(fakes.state, 'rules'), 'utf8').split('\n').filter(Boolean) : []);
  const stateFile = () => path.join(fakes.work, `vault-network-${vault}.state`);
  const watcherPid = () => Number(/^watcher=(\d+)$/m.exec(fs.readFileSync(stateFile(), 'utf8'))?.[1]);
  const quick = { VAULT_NETWORK_POLL_SECONDS: '0.1', VAULT_NETWORK_WATCH_POLL_SECONDS: '0.1' };
  const network = (action: string, env: Record<string, string> = {}, dir = stack) => runPipelineScript('vault-network.sh', [action, dir], fakes.env({ ...quick, ...env }));

  beforeEach(() => {
    fakes = makeFakes();
    fakes.set('ip', `${AGENT_IP}\n`);
    stack = writeStack(path.join(fakes.work, 'stack'), deployment);
  });

  afterEach(() => {
    // A watcher a failed test left behind must not outlive it.
    if (exists(stateFile())) {
      const pid = watcherPid();
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    fakes.remove();
  });

  it('open adds the agent address as <ip>/32 and every configured rule, then waits until the data plane answers', () => {
    fakes.set('vault');
    fakes.set('firewall-delay', '2');
    const result = network('open');
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(fakes.calls('curl')).toEqual([['curl', '-fsS', '--max-time', '10', 'https://api.ipify.org']]);
    expect(fakes.calls('az')).toEqual([
      az('keyvault', 'show', '--name', vault, '--resource-group', group, '--query', "join(' ', [properties.networkAcls.defaultAction || 'Allow', properties.publicNetworkAccess || 'Enabled'])", '-o', 'tsv'),
      // Once to see whether the agent's rule is someone else's, once to add what is missing.
      ...Array(2).fill(az('keyvault', 'network-rule', 'list', '--name', vault, '--resource-group', group, '--query', 'ipRules[].value', '-o', 'tsv')),
      ruleAdd(`${AGENT_IP}/32`),
      ruleAdd('203.0.113.10'),
      // The first two answer ForbiddenByFirewall, as a vault does until its new rule has taken effect.
      ...Array(3).fill(az('keyvault', 'certificate', 'list', '--vault-name', vault, '-o', 'none')),
    ]);
    expect(rules()).toEqual([`${AGENT_IP}/32`, '203.0.113.10']);
  });

  it('open adds only the rules the vault lacks, taking a.b.c.d and a.b.c.d/32 for the same rule', () => {
    fakes.set('vault');
    fakes.set('rules', '203.0.113.10/32\n');
    writeStack(stack, manifest({ keyVault: { ipRules: ['203.0.113.10', '192.0.2.0/24'] } }));
    expect(network('open').status).toBe(0);
    expect(fakes.calls('az').filter((c) => c[3] === 'add')).toEqual([ruleAdd(`${AGENT_IP}/32`), ruleAdd('192.0.2.0/24')]);
  });

  it('never removes an agent rule the vault had before the job (a self-hosted agent\'s, or one added by hand)', () => {
    fakes.set('vault');
    fakes.set('rules', `${AGENT_IP}/32\n`);
    expect(network('open').status).toBe(0);
    expect(fakes.calls('az').filter((c) => c[3] === 'add' && c.includes(`${AGENT_IP}/32`))).toEqual([]);
    expect(network('close').status).toBe(0);
    expect(fakes.calls('az').filter((c) => c[3] === 'remove')).toEqual([]);
    expect(rules()).toContain(`${AGENT_IP}/32`);
  });

  it('open takes the address from AGENT_IP without asking anyone, or from IP_LOOKUP_URL', () => {
    fakes.set('vault');
    expect(network('open', { AGENT_IP: '192.0.2.44' }).status).toBe(0);
    expect(fakes.calls('curl')).toEqual([]);
    expect(fakes.calls('az')).toContainEqual(ruleAdd('192.0.2.44/32'));
    expect(network('open', { IP_LOOKUP_URL: 'https://ip.example/' }).status).toBe(0);
    expect(fakes.calls('curl')).toEqual([['curl', '-fsS', '--max-time', '10', 'https://ip.example/']]);
  });

  it.each([['<html>blocked</html>'], ['203.0.113.300'], ['2001:db8::1']])('open refuses %j as the agent address and adds nothing', (answer) => {
    fakes.set('vault');
    fakes.set('ip', answer);
    const result = network('open');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("this agent's public address is not an IPv4 address");
    expect(fakes.calls('az').filter((c) => c[1] !== 'keyvault' || c[2] !== 'show')).toEqual([]);
    expect(exists(stateFile())).toBe(false);
  });

  it('open fails with the vault answer when the firewall still refuses the agent after the wait, and close still removes the rule', () => {
    fakes.set('vault');
    fakes.set('firewall-delay', '100000');
    const result = network('open', { VAULT_NETWORK_WAIT_SECONDS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: vault ${vault} still refuses this agent (${AGENT_IP}) after 1 s: Code: ForbiddenByFirewall`);
    expect(network('close').status).toBe(0);
    expect(rules()).toEqual(['203.0.113.10']);
  });

  it('close removes only the agent rule it added, and forgets it', () => {
    fakes.set('vault');
    network('open');
    const result = network('close');
    expect([result.status, result.stdout]).toEqual([0, expect.stringContaining(`removed ${AGENT_IP}/32`)]);
    expect(fakes.calls('az').filter((c) => c[3] === 'remove')).toEqual([ruleRemove(`${AGENT_IP}/32`)]);
    expect(rules()).toEqual(['203.0.113.10']);
    expect(exists(stateFile())).toBe(false);
  });

  it('close leaves an agent address that is itself one of the configured rules', () => {
    fakes.set('vault');
    writeStack(stack, manifest({ keyVault: { ipRules: [AGENT_IP] } }));
    network('open');
    expect(network('close').status).toBe(0);
    expect(fakes.calls('az').filter((c) => c[3] === 'remove')).toEqual([]);
  });

  it('close never fails the job when the rule is already gone, and says so as a pipeline warning', () => {
    fakes.set('vault');
    network('open');
    fakes.set('remove-fails');
    const result = network('close', { TF_BUILD: 'True' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`##vso[task.logissue type=warning]could not remove ${AGENT_IP}/32 from the network rules of vault ${vault}`);
    expect(network('close').status).toBe(0);
  });

  it('open leaves a watcher that adds the rule as soon as the vault exists, and close stops it and removes the rule', async () => {
    const opened = network('open');
    expect([opened.status, opened.stdout]).toEqual([0, expect.stringContaining(`vault ${vault} does not exist yet: a watcher`)]);
    const pid = watcherPid();
    expect(alive(pid)).toBe(true);
    expect(fakes.calls('az').filter((c) => c[3] === 'add')).toEqual([]);

    fakes.set('vault'); // Terraform has created it.
    expect(await until(() => rules().includes(`${AGENT_IP}/32`), 15)).toBe(true);
    expect(fakes.calls('az')).toContainEqual(ruleAdd(`${AGENT_IP}/32`));

    const closed = network('close');
    expect(closed.status).toBe(0);
    expect(closed.stdout).toContain(`watcher: vault ${vault}: allowed ${AGENT_IP}/32`);
    expect(rules()).not.toContain(`${AGENT_IP}/32`);
    expect(await until(() => !alive(pid), 5)).toBe(true);
  });

  it('close stops a watcher that is still waiting for the vault', async () => {
    expect(network('open').status).toBe(0);
    const pid = watcherPid();
    const closed = network('close');
    expect(closed.status).toBe(0);
    expect(await until(() => !alive(pid), 5)).toBe(true);
    fakes.set('vault');
    await new Promise((r) => setTimeout(r, 500));
    expect(fakes.calls('az').filter((c) => c[3] === 'add')).toEqual([]);
  });

  it.each([
    ['Allow Enabled', 'lets every address through: nothing to open'],
    ['Deny Disabled', 'takes no public traffic: only a private endpoint reaches it'],
  ])("open asks Azure about an existing vault's firewall, and adds nothing to one that is %s", (firewall, reason) => {
    writeStack(stack, manifest({ keyVault: { created: false, firewall: null, ipRules: [] } }));
    fakes.set('vault', `${firewall}\n`);
    const result = network('open');
    expect([result.status, result.stdout]).toEqual([0, expect.stringContaining(`vault ${vault} ${reason}`)]);
    expect(fakes.calls().map((c) => c.slice(0, 3))).toEqual([['az', 'keyvault', 'show']]);
    expect(network('close').stdout).toContain('nothing to close');
  });

  it('open adds the agent rule to an existing vault whose firewall denies', () => {
    writeStack(stack, manifest({ keyVault: { created: false, firewall: null, ipRules: [] } }));
    fakes.set('vault', 'Deny Enabled\n');
    expect(network('open').status).toBe(0);
    expect(rules()).toEqual([`${AGENT_IP}/32`]);
  });

  it('open fails, without a watcher, when the existing vault the stack uses cannot be seen', () => {
    writeStack(stack, manifest({ keyVault: { created: false } }));
    const result = network('open');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: the stack uses the existing vault ${vault} in ${group}, which this identity cannot see`);
    expect(exists(stateFile())).toBe(false);
  });

  it.each([['false'], ['False']])('does nothing, and says why, with AGENT_NETWORK_ACCESS=%s', (value) => {
    fakes.set('vault');
    for (const action of ['open', 'close']) {
      const result = network(action, { AGENT_NETWORK_ACCESS: value });
      expect([action, result.status, result.stdout]).toEqual([action, 0, expect.stringContaining(`AGENT_NETWORK_ACCESS is false`)]);
    }
    expect(fakes.calls()).toEqual([]);
  });

  it('does nothing, and says why, for a vault without firewall', () => {
    writeStack(stack, manifest({ keyVault: { firewall: false } }));
    for (const action of ['open', 'close']) {
      expect(network(action).stdout).toContain(`vault ${vault} has no firewall: nothing to ${action}`);
    }
    expect(fakes.calls()).toEqual([]);
  });

  // A machine with a real az on PATH cannot show az missing: the fakes only add to PATH.
  const azInstalled = spawnSync('bash', ['-c', 'command -v az'], { stdio: 'ignore' }).status === 0;
  (azInstalled ? it.skip : it)('close fails only when az itself is missing', () => {
    const withoutAz = makeFakes(['az']);
    try {
      const dir = writeStack(path.join(withoutAz.work, 'stack'), deployment);
      const result = runPipelineScript('vault-network.sh', ['close', dir], withoutAz.env());
      expect([result.status, result.stderr.trim()]).toEqual([1, 'error: az (the Azure CLI) is not on PATH']);
    } finally {
      withoutAz.remove();
    }
  });
});

describe('check-resource-providers.sh', () => {
  let fakes: Fakes;
  let stack: string;
  const providers = ['Microsoft.ApiManagement', 'Microsoft.KeyVault', 'Microsoft.ManagedIdentity'];

  beforeEach(() => {
    fakes = makeFakes();
    stack = writeStack(path.join(fakes.work, 'stack'), manifest({ resourceProviders: providers }));
  });
  afterEach(() => fakes.remove());

  it('lists every unregistered provider with the command that registers it, and fails', () => {
    fakes.set('providers/Microsoft.KeyVault', 'Registering\n');
    fakes.set('providers/Microsoft.ManagedIdentity', 'Registered\n');
    const result = runPipelineScript('check-resource-providers.sh', [stack], fakes.env());
    expect(result.status).toBe(1);
    const subscription = '00000000-0000-0000-0000-00000000abcd';
    expect(result.stderr.trim().split('\n')).toEqual(
      [
        ['Microsoft.ApiManagement', 'NotRegistered'],
        ['Microsoft.KeyVault', 'Registering'],
      ].map(
        ([ns, state]) =>
          `error: resource provider ${ns} is ${state} in subscription ${subscription}; register it once with: az provider register --namespace ${ns} (needs a subscription-level role)`,
      ),
    );
    expect(fakes.calls('az').filter((c) => c[1] === 'provider')).toEqual(providers.map((ns) => ['az', 'provider', 'show', '--namespace', ns, '--query', 'registrationState', '-o', 'tsv']));
  });

  it('passes when every provider is registered, without asking for the subscription', () => {
    for (const ns of providers) fakes.set(`providers/${ns}`, 'Registered\n');
    const result = runPipelineScript('check-resource-providers.sh', [stack], fakes.env());
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(fakes.calls('az').filter((c) => c[1] === 'account')).toEqual([]);
  });

  it('warns about, and does not stop for, a provider whose state it cannot read', () => {
    for (const ns of providers) fakes.set(`providers/${ns}`, 'Registered\n');
    fakes.set('providers/Microsoft.KeyVault.error');
    const result = runPipelineScript('check-resource-providers.sh', [stack], fakes.env());
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('warning: could not read the registration state of resource provider Microsoft.KeyVault: ERROR: (AuthorizationFailed)');
  });
});

describeWithOpenssl('pem-to-pfx.sh', () => {
  let fakes: Fakes;
  const password = randomPassword();
  beforeEach(() => (fakes = makeFakes()));
  afterEach(() => fakes.remove());
  const convert = (pem: string, pfx: string, env: Record<string, string> = { PFX_PASSWORD: password }) => runPipelineScript('pem-to-pfx.sh', [pem, pfx], fakes.env(env));
  const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, encoding: 'utf8', env: { ...process.env, PFX_PASSWORD: password } });

  it("makes an owner-only PFX that opens with PFX_PASSWORD and holds the PEM's client certificate", () => {
    const { pem, fingerprint } = makePem(fakes.work);
    const pfx = path.join(fakes.work, 'out.pfx');
    expect(convert(pem, pfx)).toMatchObject({ status: 0, stderr: '' });
    expect(spawnSync('openssl', ['pkcs12', '-in', pfx, '-noout', '-passin', 'env:PFX_PASSWORD'], { env: { ...process.env, PFX_PASSWORD: password } }).status).toBe(0);
    expect(fingerprintOf(pfx, password)).toBe(fingerprint);
    expect(fs.statSync(pfx).mode & 0o777).toBe(0o600);
  });

  it('encrypts with AES-256 and a SHA-256 MAC, whatever the OpenSSL default', () => {
    const { pem } = makePem(fakes.work);
    const pfx = path.join(fakes.work, 'out.pfx');
    convert(pem, pfx);
    const info = spawnSync('openssl', ['pkcs12', '-in', pfx, '-info', '-noout', '-passin', 'env:PFX_PASSWORD'], { env: { ...process.env, PFX_PASSWORD: password }, encoding: 'utf8' }).stderr;
    expect(info).toContain('MAC: sha256');
    expect(info.match(/PBES2, PBKDF2, AES-256-CBC/g)).toHaveLength(2);
  });

  it('never puts the password on a command line', () => {
    const { pem } = makePem(fakes.work);
    convert(pem, path.join(fakes.work, 'out.pfx'));
    expect(fakes.calls('openssl')).toContainEqual(expect.arrayContaining(['pkcs12', '-export', '-passout', 'env:PFX_PASSWORD']));
    expect(fakes.log()).not.toContain(password);
  });

  it('names the file when the PEM has no private key, no certificate, or an encrypted key', () => {
    const { pem } = makePem(fakes.work);
    const text = fs.readFileSync(pem, 'utf8');
    const key = UNENCRYPTED_KEY.exec(text)![0];
    const write = (name: string, content: string) => {
      fs.writeFileSync(path.join(fakes.work, name), content);
      return path.join(fakes.work, name);
    };
    const certOnly = write('cert-only.pem', text.replace(key, ''));
    const keyOnly = write('key-only.pem', key);
    const encrypted = write('encrypted.pem', text.replace(key, openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'env:PFX_PASSWORD'], key)));
    const out = path.join(fakes.work, 'out.pfx');
    expect(convert(certOnly, out).stderr.trim()).toBe(`error: ${certOnly} holds no private key (expected the certificate chain and an unencrypted PKCS#8 private key)`);
    expect(convert(keyOnly, out).stderr.trim()).toBe(`error: ${keyOnly} holds no certificate (expected the certificate chain and an unencrypted PKCS#8 private key)`);
    expect(convert(encrypted, out).stderr.trim()).toMatch(new RegExp(`^error: the private key in ${encrypted} is encrypted`));
    expect(exists(out)).toBe(false);
  });

  it("names the file when the key is not the certificate's, and leaves no PFX", () => {
    const first = fs.readFileSync(makePem(fakes.work, 'first').pem, 'utf8');
    const second = fs.readFileSync(makePem(fakes.work, 'second').pem, 'utf8');
    const keyOf = (text: string) => UNENCRYPTED_KEY.exec(text)![0];
    const mismatched = path.join(fakes.work, 'mismatched.pem');
    fs.writeFileSync(mismatched, first.replace(keyOf(first), keyOf(second)));
    const out = path.join(fakes.work, 'out.pfx');
    const result = convert(mismatched, out);
    expect([result.status, result.stderr]).toEqual([1, expect.stringContaining(`error: openssl could not make a PFX of ${mismatched}`)]);
    expect(exists(out)).toBe(false);
  });

  it('refuses to run without PFX_PASSWORD', () => {
    const { pem } = makePem(fakes.work);
    expect(convert(pem, path.join(fakes.work, 'out.pfx'), {}).stderr.trim()).toBe(`error: PFX_PASSWORD is not set (the password for ${path.join(fakes.work, 'out.pfx')})`);
  });
});

describeWithOpenssl('terraform-plan.sh and terraform-apply.sh', () => {
  let project: ReturnType<typeof projectWithEnvironments>;
  beforeAll(() => (project = projectWithEnvironments([unitEnvironment])));
  afterAll(() => project.remove());
  let fakes: Fakes;
  let stack: string;
  let planDir: string;
  let env: Record<string, string>;
  const key = crypto.randomBytes(36).toString('base64');
  const pfxPassword = randomPassword();
  const certificates: DeploymentManifest['certificates'] = [
    { name: 'orders-api', stem: 'orders_api', source: 'pfx' },
    { name: 'billing-partner', stem: 'billing_partner', source: 'pem' },
  ];
  let pfx: string;
  const outputs: string[] = [];
  const plan = (extra: Record<string, string> = env) => {
    const result = runPipelineScript('terraform-plan.sh', [stack, planDir], fakes.env(extra), project.dir);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const apply = (dir = stack, extra: Record<string, string> = { TF_PLAN_ENCRYPTION_KEY: key }) => {
    const result = runPipelineScript('terraform-apply.sh', [dir, planDir], fakes.env(extra), project.dir);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const clearTextIn = (dir: string) => ['tfplan', '.certificates'].filter((f) => exists(path.join(dir, f)));
  const planFiles = () => fs.readFileSync(path.join(fakes.state, 'plan-files'), 'utf8').trim().split('\n').map((l) => l.split(' '));

  beforeEach(() => {
    fakes = makeFakes();
    stack = writeStack(path.join(fakes.work, 'stack'), manifest({ certificates }));
    planDir = path.join(fakes.work, 'plan');
    pfx = makePfx(fakes.work, pfxPassword, 'orders');
    env = {
      TF_PLAN_ENCRYPTION_KEY: key,
      TF_VAR_orders_api_pfx_path: pfx,
      TF_VAR_orders_api_pfx_password: pfxPassword,
      PEM_FILE_billing_partner: makePem(fakes.work, 'billing').pem,
    };
    outputs.length = 0;
  });
  afterEach(() => fakes.remove());

  it('plan stages every certificate as .certificates/<stem>.pfx, owner-only, each opening with its TF_VAR_ password', () => {
    const result = plan();
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(planFiles().map(([stem, file]) => [stem, file])).toEqual([
      ['billing_partner', '.certificates/billing_partner.pfx'],
      ['orders_api', '.certificates/orders_api.pfx'],
    ]);
    // The PFX source is staged byte for byte; its password is the one given.
    expect(planFiles().find(([stem]) => stem === 'orders_api')![2]).toBe(sha256(pfx));
    expect(fs.readFileSync(path.join(fakes.state, 'secrets'), 'utf8')).toContain(pfxPassword);
    expect(fs.readFileSync(path.join(fakes.state, 'modes'), 'utf8').trim().split('\n')).toEqual(['700 .certificates', '600 .certificates/billing_partner.pfx', '600 .certificates/orders_api.pfx']);
    expect(fs.readdirSync(planDir).sort()).toEqual(['.terraform.lock.hcl', 'plan.txt', 'summary.md', 'tfplan.enc']);
    expect(clearTextIn(stack)).toEqual([]);
  });

  it('the encrypted bundle holds exactly the plan and the staged certificates', () => {
    plan();
    const opened = path.join(fakes.work, 'opened.tar');
    execFileSync('node', [path.join(PROJECT_ROOT, 'pipelines/scripts/plan-seal.js'), 'open', path.join(planDir, 'tfplan.enc'), opened], { env: { ...process.env, TF_PLAN_ENCRYPTION_KEY: key } });
    const listing = execFileSync('tar', ['-tf', opened], { encoding: 'utf8' });
    expect(listing.trim().split('\n').sort()).toEqual(['certificates/', 'certificates/billing_partner.pfx', 'certificates/orders_api.pfx', 'tfplan']);
  });

  it.each([
    ['a flipped byte', (b: Buffer) => void (b[b.length - 3] ^= 0x01)],
    ['a truncated bundle', (b: Buffer) => b.subarray(0, b.length - 40)],
    ['a flipped byte in the salt', (b: Buffer) => void (b[16] ^= 0x80)],
  ])('apply refuses %s before anything is unpacked or applied', (_, tamper) => {
    expect(plan().status).toBe(0);
    const file = path.join(planDir, 'tfplan.enc');
    const bytes = fs.readFileSync(file);
    const tampered = tamper(bytes) ?? bytes;
    fs.writeFileSync(file, tampered);
    const result = apply();
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^error: the plan bundle (does not authenticate|is not one terraform-plan\.sh sealed)/);
    expect(fakes.calls('terraform').filter((c) => c[2] === 'apply')).toEqual([]);
    expect(fs.readdirSync(fakes.work).filter((f) => f.startsWith('apimcert-plan-'))).toEqual([]);
  });

  it('keeps the clear plan and certificates in the job temporary directory only, and clears what a killed run left there', () => {
    const leftover = path.join(fakes.work, 'apimcert-plan-stack');
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'tfplan'), 'from a job that was killed');
    const result = plan();
    expect(result.status).toBe(0);
    // During the plan the staged files were under the job's temporary directory, reached through the link.
    expect(fs.readFileSync(path.join(fakes.state, 'modes'), 'utf8')).toContain('600 .certificates/orders_api.pfx');
    expect(exists(leftover)).toBe(false);
    expect(clearTextIn(stack)).toEqual([]);
  });

  it('apply, in a fresh copy of the stack with no certificate variables, finds every file with the bytes it had at plan', () => {
    expect(plan().status).toBe(0);
    const elsewhere = writeStack(path.join(fakes.work, 'apply-agent', 'stack'), manifest({ certificates }));
    const result = apply(elsewhere);
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(fs.readFileSync(path.join(fakes.state, 'applied'), 'utf8').trim().split('\n')).toEqual(['billing_partner .certificates/billing_partner.pfx', 'orders_api .certificates/orders_api.pfx']);
    expect(fakes.calls('terraform').at(-1)).toEqual(['terraform', `-chdir=${elsewhere}`, 'apply', '-input=false', '-no-color', path.join(fakes.work, 'apimcert-plan-stack', 'tfplan')]);
    expect(clearTextIn(elsewhere)).toEqual([]);
  });

  it('no password, generated or given, nor the encryption key, reaches a command line or the output', () => {
    plan();
    apply();
    const secrets = [key, pfxPassword, ...fs.readFileSync(path.join(fakes.state, 'secrets'), 'utf8').trim().split('\n')];
    // The PEM source's password is generated, one of 44 base64 characters, and differs from the given one.
    expect(new Set(secrets).size).toBe(3);
    expect(secrets[2]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const seen = [fakes.log(), ...outputs].join('\n');
    for (const secret of secrets) expect(seen.includes(secret)).toBe(false);
  });

  it('leaves no clear plan or certificate behind when terraform plan fails', () => {
    fakes.set('plan-fails');
    expect(plan().status).toBe(1);
    expect(clearTextIn(stack)).toEqual([]);
    expect(exists(path.join(planDir, 'tfplan.enc'))).toBe(false);
  });

  it('leaves no clear plan or certificate behind when terraform apply fails, and close still removes the agent rule', () => {
    fakes.set('vault');
    fakes.set('ip', `${AGENT_IP}\n`);
    const network = (action: string) => runPipelineScript('vault-network.sh', [action, stack], fakes.env({ VAULT_NETWORK_POLL_SECONDS: '0.1' }));
    expect(network('open').status).toBe(0);
    expect(plan().status).toBe(0);
    fakes.set('apply-fails');
    expect(apply().status).toBe(1);
    expect(clearTextIn(stack)).toEqual([]);
    expect(network('close').status).toBe(0);
    expect(fs.readFileSync(path.join(fakes.state, 'rules'), 'utf8')).not.toContain(AGENT_IP);
  });

  it('apply refuses a bundle encrypted with another key, before terraform apply runs', () => {
    plan();
    const result = apply(stack, { TF_PLAN_ENCRYPTION_KEY: crypto.randomBytes(36).toString('base64') });
    expect(result.status).not.toBe(0);
    expect(fakes.calls('terraform').filter((c) => c[2] === 'apply')).toEqual([]);
    expect(clearTextIn(stack)).toEqual([]);
  });

  it.each([
    ['PEM_FILE_billing_partner', "error: PEM_FILE_billing_partner is not set (the path of certificate billing_partner's PEM file)"],
    ['TF_VAR_orders_api_pfx_path', "error: TF_VAR_orders_api_pfx_path is not set (the path of certificate orders_api's PFX file)"],
    ['TF_VAR_orders_api_pfx_password', "error: TF_VAR_orders_api_pfx_password is not set (add it as a secret variable to the environment's variable group)"],
  ])('stops before Terraform runs, in one line, when %s is missing', (name, line) => {
    const result = plan({ ...env, [name]: `$(${name})` });
    expect([result.status, result.stderr.trim()]).toEqual([1, line]);
    expect(fakes.calls('terraform')).toEqual([]);
    expect(clearTextIn(stack)).toEqual([]);
  });

  describe('the rotation review before the plan', () => {
    const summary = () => fs.readFileSync(path.join(planDir, 'summary.md'), 'utf8');
    const terraformCommands = () => fakes.calls('terraform').map((c) => c.slice(2).filter((a) => !a.startsWith('-input') && a !== '-no-color').join(' '));
    /** The state as Terraform shows it: Key Vault holds orders-api, valid for `days` days. */
    const keyVaultHoldsOrdersApi = (days: number) => {
      const pem = certificatePem(fakes.work, 'in-key-vault', days);
      fakes.set('state.json', JSON.stringify(stateDocument({ 'orders-api': { keyVault: { pem } } })));
      return pem;
    };

    it('puts what each file does to Key Vault on the summary, then the plan line and the address of each resource it changes', () => {
      const result = plan();
      expect([result.status, result.stderr]).toEqual([0, '']);
      const incoming = certificateOfPfx(pfx, pfxPassword);
      const pem = fs.readFileSync(env.PEM_FILE_billing_partner, 'utf8');
      expect(summary().split('\n')).toEqual([
        '### Certificates: unit',
        '',
        '| certificate | change | in Key Vault now | from this run |',
        '|---|---|---|---|',
        `| orders-api | new | — | ${shortThumbprint(thumbprintOf(incoming))} (expires ${expiryDay(incoming)}) |`,
        `| billing-partner | new | — | ${shortThumbprint(thumbprintOf(pem))} (expires ${expiryDay(pem)}) |`,
        '',
        '### Plan: unit',
        '',
        'Plan: 1 to add, 0 to change, 0 to destroy.',
        '',
        // The fake plan also leaves a resource group unchanged (no-op): not listed.
        '- **update** `azurerm_key_vault_certificate.Certificate-orders-api_KeyVaultCertificate`',
        '',
      ]);
    });

    it('reads the state after terraform init and the files before they are staged, and plans after that', () => {
      expect(plan().status).toBe(0);
      expect(terraformCommands()).toEqual(['init', 'show -json', `plan -out=${path.join(fakes.work, 'apimcert-plan-stack', 'tfplan')}`, expect.stringMatching(/^show .*tfplan$/), expect.stringMatching(/^show -json .*tfplan$/)]);
      // The PFX as given, not the staged copy, is what the table shows: the staged one is at a relative path
      // that would not resolve from where the review runs.
      expect(summary()).toContain(`| orders-api | new | — | ${shortThumbprint(thumbprintOf(certificateOfPfx(pfx, pfxPassword)))}`);
    });

    it('shows a rotation: the thumbprint and expiry in Key Vault now, and those of the file', () => {
      const current = keyVaultHoldsOrdersApi(30);
      expect(plan().status).toBe(0);
      const incoming = certificateOfPfx(pfx, pfxPassword);
      expect(summary()).toContain(
        `| orders-api | new version in place | ${shortThumbprint(thumbprintOf(current))} (expires ${expiryDay(current)}) | ${shortThumbprint(thumbprintOf(incoming))} (expires ${expiryDay(incoming)}) |`,
      );
    });

    it('stops before terraform plan when a certificate expires before the one in Key Vault, and says why on the summary', () => {
      keyVaultHoldsOrdersApi(730);
      const result = plan();
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^error: orders-api: the new certificate expires \d{4}-\d\d-\d\d, before the one in place/m);
      expect(result.stderr).toContain('error: the plan of unit stops here: a certificate expires before the one in place. If that is intended, run the pipeline again with allowEarlierExpiry (Azure DevOps) or allow-earlier-expiry (GitHub) set');
      expect(terraformCommands()).toEqual(['init', 'show -json']);
      expect(summary()).toMatch(/\| orders-api \| new version in place ⚠ expires sooner \|/);
      expect(summary()).toContain('**Not planned:** a certificate expires before the one in Key Vault.');
      expect(fs.readdirSync(planDir)).toEqual(['summary.md']);
    });

    it.each([['1'], ['true'], ['True']])('lets an earlier expiry through with ALLOW_EARLIER_EXPIRY=%s, and says so on the summary', (value) => {
      keyVaultHoldsOrdersApi(730);
      const result = plan({ ...env, ALLOW_EARLIER_EXPIRY: value });
      expect([result.status, result.stderr]).toEqual([0, '']);
      expect(summary()).toContain('⚠ expires sooner');
      expect(summary()).toContain('This run allows a certificate that expires before the one in place (ALLOW_EARLIER_EXPIRY).');
      expect(terraformCommands()).toContainEqual(expect.stringMatching(/^plan /));
    });

    it.each([['False'], ['false'], [''], ['$(ALLOW_EARLIER_EXPIRY)']])('refuses an earlier expiry with ALLOW_EARLIER_EXPIRY=%j', (value) => {
      keyVaultHoldsOrdersApi(730);
      expect(plan({ ...env, ALLOW_EARLIER_EXPIRY: value }).status).toBe(1);
      expect(terraformCommands()).not.toContainEqual(expect.stringMatching(/^plan /));
    });

    it('puts nothing secret on the summary: no password, no key, no file path', () => {
      keyVaultHoldsOrdersApi(30);
      expect(plan().status).toBe(0);
      const text = summary();
      for (const secret of [key, pfxPassword, ...fs.readFileSync(path.join(fakes.state, 'secrets'), 'utf8').trim().split('\n')]) expect(text.includes(secret)).toBe(false);
      expect(text).not.toMatch(/\/|\.pfx|\.pem/);
    });

    it('removes the state document, which holds the imported certificates in clear, also when the review refuses', () => {
      keyVaultHoldsOrdersApi(730);
      expect(plan().status).toBe(1);
      expect(fs.readdirSync(fakes.work).filter((f) => f.startsWith('apimcert-'))).toEqual([]);
      expect(plan({ ...env, ALLOW_EARLIER_EXPIRY: '1' }).status).toBe(0);
      expect(fs.readdirSync(fakes.work).filter((f) => f.startsWith('apimcert-'))).toEqual([]);
    });

    it('stops before terraform plan when a file fails the pre-flight, naming the file', () => {
      const notAPfx = path.join(fakes.work, 'not-a.pfx');
      fs.writeFileSync(notAPfx, 'not a certificate');
      const result = plan({ ...env, TF_VAR_orders_api_pfx_path: notAPfx });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(notAPfx);
      expect(result.stderr).toContain('error: the certificate rotation review of unit failed');
      expect(terraformCommands()).toEqual(['init', 'show -json']);
    });
  });

  it('names a certificate file that is not there', () => {
    const result = plan({ ...env, PEM_FILE_billing_partner: path.join(fakes.work, 'absent.pem') });
    expect(result.stderr.trim()).toBe(`error: PEM_FILE_billing_partner names ${path.join(fakes.work, 'absent.pem')}, which is not a readable file (the path of certificate billing_partner's PEM file)`);
  });
});

describeWithOpenssl('expiry-report.sh', () => {
  let fakes: Fakes;
  let stack: string;
  let summaryFile: string;
  beforeEach(() => {
    fakes = makeFakes();
    stack = writeStack(path.join(fakes.work, 'stack'), manifest({ certificates: [{ name: 'orders-api', stem: 'orders_api', source: 'pfx' }] }));
    summaryFile = path.join(fakes.work, 'expiry-report.md');
  });
  afterEach(() => fakes.remove());
  const report = (env: Record<string, string> = {}) => runPipelineScript('expiry-report.sh', [stack, summaryFile], fakes.env(env));
  /** Key Vault and APIM hold orders-api, valid for `days` days. */
  const deployed = (days: number) => {
    const pem = certificatePem(fakes.work, 'deployed', days);
    fakes.set('state.json', JSON.stringify(stateDocument({ 'orders-api': { keyVault: { pem }, apiManagement: { pem } } })));
    return pem;
  };
  const summary = () => fs.readFileSync(summaryFile, 'utf8');

  it('reads the state after terraform init, reports each certificate and its expiry, exits 0 and writes the summary', () => {
    const pem = deployed(200);
    const result = report();
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(fakes.calls('terraform').map((c) => c[2])).toEqual(['init', 'show']);
    const line = `orders-api: Key Vault ${shortThumbprint(thumbprintOf(pem))}, expires ${expiryDay(pem)} (199 days left); APIM serves it`;
    expect(result.stdout.trim().split('\n').at(-1)).toBe(line);
    expect(summary()).toBe(`### Certificate expiry: unit\n\nEvery certificate is valid for more than 30 days, and API Management serves Key Vault's current version.\n\n- ${line}\n`);
  });

  it('exits 1 when a certificate expires within 30 days, says so on the summary, and fails with a line naming the environment', () => {
    deployed(20);
    const result = report();
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('error: unit: a certificate is expired, expires within 30 days, or is served by APIM in an older version (above)');
    expect(summary()).toMatch(/^### Certificate expiry: unit\n\n\*\*Action needed:\*\* .*\n\n- orders-api: .*\(19 days left\); APIM serves it — renew it soon\n$/);
  });

  it('takes the warning threshold from EXPIRY_WARN_DAYS', () => {
    deployed(20);
    expect(report({ EXPIRY_WARN_DAYS: '10' }).status).toBe(0);
    expect(report({ EXPIRY_WARN_DAYS: 'soon' }).status).toBe(2);
  });

  it('reports a stack never applied as holding no certificates', () => {
    const result = report();
    expect([result.status, result.stdout.trim().split('\n').at(-1)]).toEqual([0, 'no certificates in this state']);
  });

  it('leaves no state document behind, and no summary when the state cannot be read', () => {
    deployed(20);
    report();
    expect(fs.readdirSync(fakes.work).filter((f) => f.startsWith('apimcert-'))).toEqual([]);
    fakes.set('show-fails');
    expect(report().status).not.toBe(0);
    expect(exists(summaryFile)).toBe(false);
    expect(fs.readdirSync(fakes.work).filter((f) => f.startsWith('apimcert-'))).toEqual([]);
  });
});
