import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { hasOpenssl, makePfx } from './support/openssl';
import { itWith, TOOLS } from './support/required-tools';
import { PROJECT_ROOT } from './support/run-command';
import { standInTools } from './support/stand-ins';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

// Environments of the tests' own, in a copy of the project: whatever environments a team has (warnings
// included) are theirs, and never what a test asserts on.
const staging = { ...qaEnvironment, name: 'staging', keyVault: { name: 'kv-payments-staging' }, apiManagement: { ...qaEnvironment.apiManagement, name: 'apim-payments-staging' } };

describe('npm run synth', () => {
  let workdir: string;
  let project: ReturnType<typeof projectWithEnvironments>;
  const runScript = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => project.run(script, args, env);
  const environments = [qaEnvironment, staging].map((config) => ({ config }));
  beforeAll(() => {
    project = projectWithEnvironments([qaEnvironment, staging]);
  });
  afterAll(() => project.remove());
  beforeEach(() => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-command-'));
  });
  afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('synthesizes one stack per environment, with nothing machine-specific in it', () => {
    const outdir = path.join(workdir, 'cdktf.out');
    const result = runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
    expect(stacks).toEqual(environments.map((e) => e.config.name).sort());
    for (const stack of stacks) {
      const json = fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8');
      expect(json).not.toContain(workdir);
      expect(json).not.toContain(os.homedir());
      // The deployment scripts' view of the stack, from the same environment.
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'deployment.json'), 'utf8'));
      expect(manifest.environment).toBe(stack);
      expect(manifest.certificates.map((c: { stem: string }) => `${c.stem}_pfx_path`).sort()).toEqual(
        Object.keys(JSON.parse(json).variable).filter((v) => v.endsWith('_pfx_path')).sort(),
      );
    }
    // cdktf.out and the directory it points to (scripts/output-directory.js), nothing else.
    expect(fs.readdirSync(workdir).sort()).toEqual([fs.readlinkSync(outdir), 'cdktf.out'].sort());
  });

  it('synthesizes only the environments named', () => {
    const outdir = path.join(workdir, 'cdktf.out');
    const name = environments[0].config.name;
    expect(runScript('scripts/synth.js', [name], { CDKTF_OUTDIR: outdir }).status).toBe(0);
    expect(fs.readdirSync(path.join(outdir, 'stacks'))).toEqual([name]);
  });

  it('fails on an unknown environment with one line and a non-zero exit, leaving the previous output untouched', () => {
    const outdir = path.join(workdir, 'cdktf.out');
    fs.mkdirSync(outdir);
    fs.writeFileSync(path.join(outdir, 'previous.txt'), 'from the last good synth');

    const result = runScript('scripts/synth.js', ['no-such-env'], { CDKTF_OUTDIR: outdir });

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: command line: environment = "no-such-env": is not an environment in environments\/ \(there are: .+\)\. Fix: /),
    ]);
    expect(fs.readdirSync(outdir)).toEqual(['previous.txt']);
    // No staging directory is left behind either.
    expect(fs.readdirSync(workdir)).toEqual(['cdktf.out']);
  });

  it('prints its one summary line and nothing else: no warnings, no telemetry notices', () => {
    const result = runScript('scripts/synth.js', [], { CDKTF_OUTDIR: path.join(workdir, 'out'), CHECKPOINT_DISABLE: undefined });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const names = environments.map((e) => e.config.name).sort();
    expect(result.stdout.trim().split('\n')).toEqual([`synthesized ${names.length} stack(s) into ${path.relative(project.dir, path.join(workdir, 'out'))}/stacks: ${names.join(', ')}`]);
  });
});

describe('npm run plan / deploy', () => {
  const withoutCertificateVariables = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF_VAR_')));
  // An environment of the tests' own, in a copy of the project: never the shipped samples.
  let project: ReturnType<typeof projectWithEnvironments>;
  beforeAll(() => {
    project = projectWithEnvironments([qaEnvironment]);
  });
  afterAll(() => project.remove());
  const runScript = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => project.run(script, args, env);

  it('without a terminal, names the variables to set instead of prompting', () => {
    const result = runScript('scripts/run.js', ['scripts/workstation.ts', 'diff', 'qa'], { TF_VAR_mtls_backend_pfx_path: undefined, TF_VAR_mtls_backend_pfx_password: undefined });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'error: certificate mtls-backend: TF_VAR_mtls_backend_pfx_path and TF_VAR_mtls_backend_pfx_password not set, and there is no terminal to ask on. Fix: set them first',
    );
  });

  // A pseudo-terminal needs python3's pty module; without python3 there is no terminal to test on.
  const itOnTerminal = itWith(TOOLS.python3Pty(), "python3's pty module (a pseudo-terminal)");
  itOnTerminal('asks for the file and the password on a terminal, never echoing the password, and checks the file first', () => {
    const password = `typed-${Date.now()}-secret`;
    const missing = path.join(os.tmpdir(), `no-such-${process.pid}.pfx`);
    const result = spawnSync(
      'python3',
      [path.join(PROJECT_ROOT, '__tests__/support/answer-prompts.py'), 'PFX file for certificate mtls-backend: ', missing, 'Password of', password, '--', process.execPath, 'scripts/run.js', 'scripts/workstation.ts', 'diff', 'qa'],
      { cwd: project.dir, encoding: 'utf8', env: withoutCertificateVariables(), timeout: 60_000 },
    );
    const screen = result.stdout;
    expect(screen).toContain('PFX file for certificate mtls-backend: ');
    expect(screen).toContain(missing); // the path is echoed as typed
    expect(screen).toContain(`Password of ${path.basename(missing)}: `);
    expect(screen).not.toContain(password);
    expect(screen).toContain(`error: ${missing}: no file or directory exists at this path`);
    expect(screen.trim().split('\n').pop()).toBe('exit=1');
  });

  const onTerminal = (answers: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync('python3', [path.join(PROJECT_ROOT, '__tests__/support/answer-prompts.py'), ...answers, '--', process.execPath, 'scripts/run.js', 'scripts/workstation.ts', 'diff', 'qa'], {
      cwd: project.dir,
      encoding: 'utf8',
      env: { ...withoutCertificateVariables(), ...env },
      timeout: 60_000,
    });

  itOnTerminal('stops with a non-zero exit when Ctrl-C is pressed at the password prompt, so `&& next-step` does not run', () => {
    const screen = onTerminal(['PFX file for certificate mtls-backend: ', '/tmp/any.pfx', 'Password of', '\u0003']).stdout;
    expect(screen).toContain('error: no answer at the prompt (Ctrl-C); nothing was run');
    expect(screen.trim().split('\n').pop()).toBe('exit=130');
  });

  itOnTerminal('stops with a non-zero exit when Ctrl-D ends the input at the file prompt', () => {
    const screen = onTerminal(['PFX file for certificate mtls-backend: ', '\u0004']).stdout;
    expect(screen).toContain('error: no answer at the prompt (Ctrl-D); nothing was run');
    expect(screen.trim().split('\n').pop()).toBe('exit=1');
  });

  const itOnTerminalWithOpenssl = hasOpenssl ? itOnTerminal : itWith(false, 'openssl (to make the PFX whose password is typed)');
  itOnTerminalWithOpenssl('takes editing keys at the password prompt without drawing anything that shows its length', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prompt-'));
    try {
      const password = `pw-${Date.now()}-ad`;
      const pfx = makePfx(dir, password, 'mtls-backend');
      const tools = standInTools(dir, { subscription: qaEnvironment.subscriptionId });
      // Typed: the password with "x" instead of "d", two backspaces, a left arrow, then "d".
      const typed = `${password.slice(0, -1)}xy\u007f\u007f\u001b[Dd`;
      const screen = onTerminal(['PFX file for certificate mtls-backend: ', pfx, 'Password of', typed], { ...tools.env, PATH: `${tools.bin}:${process.env.PATH}` }).stdout;
      const afterPrompt = screen.slice(screen.indexOf(`Password of ${path.basename(pfx)}: `));
      expect(afterPrompt).not.toMatch(/\u001b/);
      expect(afterPrompt).not.toContain(password.slice(0, 8));
      expect(screen).toContain(`${pfx}: ok (certificate mtls-backend)`);
      expect(tools.calls().find((c) => c.read)?.read.mtls_backend.opened).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with usage on an unknown command', () => {
    const result = runScript('scripts/run.js', ['scripts/workstation.ts', 'destroy', 'qa']);
    expect([result.status, result.stderr]).toEqual([2, expect.stringContaining('usage: npm run plan -- <env>')]);
  });
});
