import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { hasOpenssl } from './support/openssl';
import { describeWith, itWith } from './support/required-tools';
import { standInTools } from './support/stand-ins';
import { makeCertificate } from './support/test-certificates';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

// npm run plan / deploy from a workstation (operations/workstation.ts), as a person runs it, in a copy of
// the project with an environment of the test's own (a PFX and a PEM certificate), against stand-ins for
// az and terraform (support/stand-ins) that are the only programs on PATH besides node.

const environment: EnvironmentConfig = {
  ...qaEnvironment,
  subscriptionId: '6b9f2c1e-7d4a-4e8b-9c3f-1a2b3c4d5e6f',
  keyVault: { name: 'kv-payments-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['20.61.12.34'] } },
  certificates: [{ name: 'mtls-backend' }, { name: 'partner-orders', format: 'pem' }],
};
const strace = spawnSync('which', ['strace'], { encoding: 'utf8' }).stdout?.trim();
const hasStrace = Boolean(strace) && spawnSync(strace, ['-V'], { stdio: 'ignore' }).status === 0;
// With a seccomp filter (strace 5.3 and later, where the kernel allows it) only execve stops the traced
// processes, instead of every system call: the traced plan takes about a third of the time.
const straceFilter = hasStrace && spawnSync(strace, ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=execve', '-o', '/dev/null', process.execPath, '-e', '0'], { stdio: 'ignore' }).status === 0 ? ['--seccomp-bpf'] : [];

describeWith(hasOpenssl, 'openssl (to make the certificates)')('npm run plan / deploy on a workstation', () => {
  let project: ReturnType<typeof projectWithEnvironments>;
  let dir: string;
  let certificates: Record<string, string>;

  beforeAll(() => {
    project = projectWithEnvironments([environment]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workstation-'));
    const pfx = makeCertificate(dir, 'mtls-backend');
    const pem = makeCertificate(dir, 'partner-orders');
    certificates = { TF_VAR_mtls_backend_pfx_path: pfx.pfx, TF_VAR_mtls_backend_pfx_password: pfx.password, PEM_FILE_partner_orders: pem.pem };
  });
  afterAll(() => {
    project.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A PATH with node, az and terraform only, and the stand-ins' state and log. */
  function tools(state: Record<string, unknown> = {}) {
    const t = standInTools(dir, { subscription: environment.subscriptionId, rules: ['20.61.12.34'], ...state });
    return { ...t, env: { ...t.env, ...certificates } };
  }

  const workstation = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['scripts/run.js', 'scripts/workstation.ts', ...args], { cwd: project.dir, encoding: 'utf8', env, timeout: 120_000 });

  // One plan with --allow-my-ip, observed three ways (each full run costs seconds).
  describe('one plan with --allow-my-ip', () => {
    let t: ReturnType<typeof tools>;
    let result: ReturnType<typeof workstation>;
    beforeAll(() => {
      t = tools();
      result = workstation(['diff', environment.name, '--allow-my-ip'], t.env);
    });

    it('plans with a private copy of the PFX and a PEM converted to a PFX, each opening with the password Terraform is given, all removed afterwards', () => {
      expect([result.status, result.stderr]).toEqual([0, '']);
      const read = t.calls().find((c) => c.read)!.read;
      expect(Object.keys(read).sort()).toEqual(['mtls_backend', 'partner_orders']);
      for (const { file, opened } of Object.values(read) as { file: string; opened: boolean }[]) {
        expect(opened).toBe(true);
        expect(file.startsWith(t.tmp)).toBe(true);
        expect(fs.existsSync(file)).toBe(false);
      }
      expect(fs.readdirSync(t.tmp).filter((f) => f.startsWith('apimcert-workstation-'))).toEqual([]);
    });

    it('gives the PFX password to Terraform only: never to az, never on a command line', () => {
      const calls = t.calls();
      expect(calls.filter((c) => c.tool === 'az').length).toBeGreaterThan(0);
      for (const call of calls.filter((c) => c.tool === 'az')) expect(call.env.filter((name: string) => /^(TF_VAR_|PEM_FILE_)/.test(name))).toEqual([]);
      expect(JSON.stringify(calls.map((c) => c.args))).not.toContain(certificates.TF_VAR_mtls_backend_pfx_password);
    });

    it("lets this machine's address through the vault's firewall for the command only", () => {
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('vault kv-payments-qa: allowed 20.50.60.70/32 for this run');
      expect(result.stdout).toContain('vault kv-payments-qa: removed 20.50.60.70/32');
      expect(t.state().rules).toEqual(['20.61.12.34']);
      const adds = t.calls().filter((c) => c.tool === 'az' && c.args.includes('add'));
      expect(adds[0].args).toEqual(expect.arrayContaining(['--subscription', environment.subscriptionId]));
    });
  });

  it('stops before terraform init, with one line, when there is no usable Azure login', () => {
    const t = tools({ loggedIn: false });
    const result = workstation(['diff', environment.name], t.env);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `error: no usable Azure login: run \`az login\`, then \`az account set -s ${environment.subscriptionId}\`; or set ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID with a credential (ARM_CLIENT_SECRET, ARM_USE_OIDC=true or ARM_USE_MSI=true) for Terraform`,
    );
    expect(t.calls().filter((c) => c.tool === 'terraform')).toEqual([]);
  });

  it('stops before terraform init, naming the register command, when a resource provider the stack needs is not registered', () => {
    const t = tools({ providers: { 'Microsoft.ApiManagement': 'NotRegistered' } });
    const result = workstation(['diff', environment.name], t.env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`az provider register --namespace Microsoft.ApiManagement --subscription ${environment.subscriptionId}`);
    expect(result.stderr).toContain('error: resource providers not registered: Microsoft.ApiManagement');
    expect(t.calls().filter((c) => c.tool === 'terraform')).toEqual([]);
  });

  it("after a deploy's apply, carries out the vault rule changes shown before it, has APIM refresh each certificate, and fails naming one APIM does not serve", () => {
    // One run for the whole path after the apply (each run costs seconds): the vault lacks the configured
    // 20.61.12.34 and has 40.1.2.3/32, which is not configured; APIM picks up mtls-backend and refuses
    // partner-orders. (A refresh that never converges waits out its 300 s bound: apim-refresh.test.ts.)
    const keyVault = { 'mtls-backend': 'B'.repeat(40), 'partner-orders': 'C'.repeat(40) };
    const t = tools({ rules: ['40.1.2.3/32'], keyVaultCertificates: keyVault, apimCertificates: { 'mtls-backend': 'A'.repeat(40), 'partner-orders': 'A'.repeat(40) }, apimCannotFetch: ['partner-orders'] });
    const result = workstation(['deploy', environment.name], t.env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error: API Management does not serve Key Vault's current version of: partner-orders (above)");
    expect(result.stderr).toContain('error: partner-orders: asking API Management to refresh certificate partner-orders from Key Vault failed: ERROR: Bad Request');
    expect(result.stdout).toContain("mtls-backend: API Management serves BBBB…BBBB, Key Vault's current version");
    expect(t.state().rules).toEqual(['20.61.12.34']);
    expect(t.state().apimCertificates['mtls-backend']).toBe(keyVault['mtls-backend']);
    // All of it after terraform apply, none before.
    const calls = t.calls();
    const applied = calls.findIndex((c) => c.tool === 'terraform' && c.args?.includes('apply'));
    expect(applied).toBeGreaterThan(-1);
    const changes = calls.filter((c) => c.tool === 'az' && (c.args.includes('network-rule') || c.args[0] === 'rest'));
    expect(changes.length).toBeGreaterThan(2);
    for (const change of changes) expect(calls.indexOf(change)).toBeGreaterThan(applied);
  });

  itWith(hasStrace, 'strace (to see which programs a command starts)')(
    'runs to terraform plan with --allow-my-ip on a PATH of node, az and terraform alone: no bash, sh, jq, curl or openssl is started',
    () => {
      const t = tools();
      const trace = path.join(t.run, 'trace');
      const result = spawnSync(strace, ['-f', '-qq', ...straceFilter, '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, process.execPath, 'scripts/run.js', 'scripts/workstation.ts', 'diff', environment.name, '--allow-my-ip'], {
        cwd: project.dir,
        encoding: 'utf8',
        env: t.env,
        timeout: 180_000,
      });
      expect([result.status, result.stderr]).toEqual([0, '']);
      const started = [...fs.readFileSync(trace, 'utf8').matchAll(/execve\("([^"]+)"/g)].map((m) => path.basename(m[1]));
      expect(started).toContain('terraform');
      expect(started).toContain('az');
      expect(started.filter((program) => /^(bash|sh|dash|zsh|jq|curl|wget|openssl)$/.test(program))).toEqual([]);
      expect(t.calls().some((c) => c.tool === 'terraform' && c.args.includes('plan'))).toBe(true);
    },
  );

  it('passes SIGTERM on to a running Terraform, exits non-zero, skips every later step, and leaves nothing behind', async () => {
    const t = tools({ planSleepsMs: 30_000 });
    const child = spawn(process.execPath, ['scripts/run.js', 'scripts/workstation.ts', 'deploy', environment.name, '--allow-my-ip'], { cwd: project.dir, env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const running = `${t.env.STAND_IN_STATE}.running`;
    for (let i = 0; i < 600 && !fs.existsSync(running); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(143);
    expect(stderr).toContain('terraform apply was stopped');
    expect(t.calls().some((c) => c.tool === 'terraform' && c.signal === 'SIGTERM')).toBe(true);
    // Nothing after the apply ran, the firewall rule is gone, and so are the private copies.
    expect(t.calls().filter((c) => c.tool === 'az' && c.args.includes('rest'))).toEqual([]);
    expect(t.state().rules).toEqual(['20.61.12.34']);
    expect(fs.readdirSync(t.tmp).filter((f) => f.startsWith('apimcert-workstation-'))).toEqual([]);
    const holds = path.join(t.tmp, fs.readdirSync(t.tmp).find((f) => f.startsWith('apimcert-firewall-holds-')) ?? 'none');
    expect(fs.existsSync(holds) ? fs.readdirSync(holds) : []).toEqual([]);
  }, 120_000);

  it('removes what a run killed outright left, at the start of the next', () => {
    const t = tools();
    const leftover = path.join(t.tmp, 'apimcert-workstation-999999999-x');
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'mtls_backend.pfx'), 'encrypted PFX copy');
    expect(workstation(['diff', environment.name], t.env).status).toBe(0);
    expect(fs.existsSync(leftover)).toBe(false);
  });
});
