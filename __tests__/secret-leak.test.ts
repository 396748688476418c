import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasOpenssl, makePfx, randomPassword } from './support/openssl';
import { PROJECT_ROOT, runScript } from './support/run-command';

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// Without openssl no PFX can be made here; CI has it (see .ci/run).
const describeWithOpenssl = hasOpenssl ? describe : describe.skip;

describeWithOpenssl('secrets never leave their place', () => {
  let workdir: string;
  let password: string;
  let pfxBase64: string;
  let written: { file: string; text: string }[];

  beforeAll(() => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-leak-'));
    password = randomPassword();
    const pfx = makePfx(workdir, password);
    pfxBase64 = fs.readFileSync(pfx).toString('base64');
    const outdir = path.join(workdir, 'cdktf.out');
    // The variables a workstation or pipeline sets for the shipped certificate; --check-certs makes synth
    // really open the file with them. dev and test declare the RSA 2048 key makePfx makes (prod: 3072).
    const result = runScript('scripts/synth.js', ['--check-certs', 'dev', 'test'], {
      CDKTF_OUTDIR: outdir,
      TF_VAR_mtls_backend_pfx_path: pfx,
      TF_VAR_mtls_backend_pfx_password: password,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${pfx}: ok (certificate mtls-backend)`);
    written = [
      ...filesUnder(outdir).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
      ...filesUnder(path.join(PROJECT_ROOT, '__tests__', '__snapshots__')).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
      { file: 'synth stdout', text: result.stdout },
      { file: 'synth stderr', text: result.stderr },
    ];
  });
  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('writes stack files to search at all', () => {
    expect(written.filter((w) => w.file.endsWith('cdk.tf.json')).length).toBeGreaterThan(0);
  });

  it('writes the password nowhere', () => {
    expect(written.filter((w) => w.text.includes(password)).map((w) => w.file)).toEqual([]);
  });

  it('writes no 64-character run of the PFX base64 anywhere', () => {
    const runs = new Set<string>();
    for (let i = 0; i + 64 <= pfxBase64.length; i++) runs.add(pfxBase64.slice(i, i + 64));
    const leaks = written.filter((w) => {
      for (let i = 0; i + 64 <= w.text.length; i++) if (runs.has(w.text.slice(i, i + 64))) return true;
      return false;
    });
    expect(leaks.map((w) => w.file)).toEqual([]);
  });

  it('fails the pre-flight before writing anything when the password is wrong, without printing either password', () => {
    const outdir = path.join(workdir, 'failed-out');
    const wrong = randomPassword();
    const result = runScript('scripts/synth.js', ['--check-certs', 'dev'], {
      CDKTF_OUTDIR: outdir,
      TF_VAR_mtls_backend_pfx_path: path.join(workdir, 'client.pfx'),
      TF_VAR_mtls_backend_pfx_password: wrong,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/client\.pfx: error: .*password/i);
    expect(result.stderr).toContain('certificate pre-flight failed; nothing was synthesized');
    expect(fs.existsSync(outdir)).toBe(false);
    expect(`${result.stdout}${result.stderr}`).not.toContain(wrong);
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  });

  it('refers to the certificate only through the variables', () => {
    const stack = written.find((w) => w.file.endsWith(path.join('dev', 'cdk.tf.json')));
    expect(stack?.text).toContain('${filebase64(var.mtls_backend_pfx_path)}');
    expect(stack?.text).not.toContain(path.basename(workdir));
  });
});
