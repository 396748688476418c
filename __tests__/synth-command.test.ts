import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { environments } from '../environments';
import { runScript } from './support/run-command';

describe('npm run synth', () => {
  let workdir: string;
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
    }
    expect(fs.readdirSync(workdir)).toEqual(['cdktf.out']);
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

  it('turns telemetry off so nothing phones home or prints about it', () => {
    const result = runScript('scripts/synth.js', [], { CDKTF_OUTDIR: path.join(workdir, 'out'), CHECKPOINT_DISABLE: undefined });
    expect(result.status).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/telemetry|checkpoint|warn/i);
  });
});

describe('npm run plan / deploy', () => {
  it('without a terminal, names the variables to set instead of prompting', () => {
    const result = runScript('scripts/workstation.js', ['diff', 'dev'], { TF_VAR_mtls_backend_pfx_path: undefined, TF_VAR_mtls_backend_pfx_password: undefined });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'error: certificate mtls-backend: TF_VAR_mtls_backend_pfx_path and TF_VAR_mtls_backend_pfx_password not set, and there is no terminal to ask on. Fix: export them first',
    );
  });

  it('fails with usage on an unknown command', () => {
    expect(runScript('scripts/workstation.js', ['destroy', 'dev']).status).toBe(2);
  });
});
