import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasOpenssl, makePfx, randomPassword } from './support/openssl';
import { describeWith } from './support/required-tools';
import { PROJECT_ROOT } from './support/run-command';
import { standInTools } from './support/stand-ins';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// Without openssl no PFX can be made here; CI has it (see .ci/run).
const describeWithOpenssl = describeWith(hasOpenssl, 'openssl (to make the certificates)');

// Passwords built to break whatever handles them carelessly: quotes, command substitution, backticks,
// a newline, non-ASCII, and an Azure DevOps logging command. Each must pass through as data.
const MARKER = path.join(os.tmpdir(), `leak-test-ran-${process.pid}`);
const HOSTILE_PASSWORDS = [
  `it's "quoted" pw-${process.pid}`,
  `$(touch ${MARKER})-pw-${process.pid}`,
  `\`touch ${MARKER}\`-pw-${process.pid}`,
  `first line\nsecond line-pw-${process.pid}`,
  `pässwörd-🔑-pw-${process.pid}`,
  `##vso[task.setvariable variable=leak]pw-${process.pid}`,
];
// One password with all of it, for the commands that run once.
const COMBINED = `${HOSTILE_PASSWORDS.join(' ')} ${randomPassword()}`;

/** The password, or any 12-character piece of one of its lines, in the text. */
function leaks(text: string, secret: string): boolean {
  return secret.split('\n').some((line) => {
    for (let i = 0; i + 12 <= line.length; i++) if (text.includes(line.slice(i, i + 12))) return true;
    return false;
  });
}

describeWithOpenssl('secrets never leave their place', () => {
  // An environment of this test's own, in a copy of the project: the shipped samples are a team's to replace.
  let project: ReturnType<typeof projectWithEnvironments>;
  const runScript = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => project.run(script, args, env);
  let workdir: string;
  let password: string;
  let pfxBase64: string;
  let written: { file: string; text: string }[];
  let tools: ReturnType<typeof standInTools>;

  beforeAll(() => {
    project = projectWithEnvironments([qaEnvironment, { ...qaEnvironment, name: 'staging', keyVault: { name: 'kv-payments-staging' }, apiManagement: { ...qaEnvironment.apiManagement, name: 'apim-payments-staging' } }]);
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-leak-'));
    password = COMBINED;
    const pfx = makePfx(workdir, password);
    pfxBase64 = fs.readFileSync(pfx).toString('base64');
    const outdir = path.join(workdir, 'cdktf.out');
    // The variables a workstation or pipeline sets for the certificate; --check-certs makes synth really
    // open the file with them. Both environments declare the RSA 2048 key makePfx makes.
    const certificateEnv = { TF_VAR_mtls_backend_pfx_path: pfx, TF_VAR_mtls_backend_pfx_password: password };
    const result = runScript('scripts/synth.js', ['--check-certs', 'qa', 'staging'], { CDKTF_OUTDIR: outdir, ...certificateEnv });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${pfx}: ok (certificate mtls-backend)`);
    const certCheck = runScript('scripts/run.js', ['scripts/cert-check.ts', pfx], { CERT_PASSWORD: password });
    expect(certCheck.status).toBe(0);
    const graph = runScript('scripts/run.js', ['scripts/graph.ts', 'qa'], { CDKTF_OUTDIR: outdir });
    // npm run plan, up to Terraform: stand-ins for az and terraform, the only programs besides node.
    tools = standInTools(workdir, { subscription: qaEnvironment.subscriptionId });
    const plan = runScript('scripts/run.js', ['scripts/workstation.ts', 'diff', 'qa'], { ...tools.env, ...certificateEnv, CDKTF_OUTDIR: path.join(workdir, 'plan-out') });
    expect(plan.status).toBe(0);
    written = [
      ...filesUnder(outdir).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
      ...filesUnder(path.join(workdir, 'plan-out')).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
      ...filesUnder(path.join(project.dir, 'node_modules', '.cache')).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') })),
      ...filesUnder(path.join(PROJECT_ROOT, '__tests__', '__snapshots__')).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
      ...filesUnder(path.join(PROJECT_ROOT, 'node_modules', '.cache')).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') })),
      ...[result, certCheck, graph, plan].flatMap((r, i) => [
        { file: `${['synth', 'cert:check', 'graph', 'plan'][i]} stdout`, text: r.stdout },
        { file: `${['synth', 'cert:check', 'graph', 'plan'][i]} stderr`, text: r.stderr },
      ]),
    ];
  });
  afterAll(() => {
    project.remove();
    fs.rmSync(workdir, { recursive: true, force: true });
    fs.rmSync(MARKER, { force: true });
  });

  it.each(HOSTILE_PASSWORDS.map((p) => [JSON.stringify(p), p]))('cert:check opens a PFX whose password is %s, echoing none of it', (_, hostile) => {
    const pfx = makePfx(workdir, hostile, `hostile-${HOSTILE_PASSWORDS.indexOf(hostile)}`);
    const result = runScript('scripts/run.js', ['scripts/cert-check.ts', pfx], { CERT_PASSWORD: hostile });
    expect([result.status, result.stdout.split('\n')[0]]).toEqual([0, `${pfx}: usable PFX`]);
    expect(leaks(result.stdout + result.stderr, hostile)).toBe(false);
    expect(fs.existsSync(MARKER)).toBe(false);
  });

  it('never runs what a password says: no command substitution anywhere', () => {
    expect(fs.existsSync(MARKER)).toBe(false);
  });

  it('writes stack files to search at all', () => {
    expect(written.filter((w) => w.file.endsWith('cdk.tf.json')).length).toBeGreaterThan(0);
  });

  it('writes the password, or any piece of it, nowhere: files, snapshots, node_modules/.cache, or what synth, cert:check, graph and plan print', () => {
    expect(written.some((w) => w.file.endsWith('plan stdout') && w.text.includes('plan: done'))).toBe(true);
    // And what the stand-ins were given: their log holds each call's arguments and variable names.
    written.push({ file: 'az and terraform calls', text: JSON.stringify(tools.calls()) });
    expect(written.filter((w) => leaks(w.text, password)).map((w) => w.file)).toEqual([]);
  });

  it('writes no 64-character run of the PFX base64 anywhere', () => {
    // Any 64-character run of the base64 holds one of its 32-character blocks (those starting at multiples
    // of 32) whole, so only where a block occurs is the common run measured, outwards from the block.
    const longestRunAt = (text: string, at: number, from: number) => {
      let left = 0;
      while (at - left > 0 && from - left > 0 && text[at - left - 1] === pfxBase64[from - left - 1]) left++;
      let right = 32;
      while (at + right < text.length && from + right < pfxBase64.length && text[at + right] === pfxBase64[from + right]) right++;
      return left + right;
    };
    const leaks = written.filter((w) => {
      for (let from = 0; from + 32 <= pfxBase64.length; from += 32) {
        for (let at = w.text.indexOf(pfxBase64.slice(from, from + 32)); at !== -1; at = w.text.indexOf(pfxBase64.slice(from, from + 32), at + 1)) {
          if (longestRunAt(w.text, at, from) >= 64) return true;
        }
      }
      return false;
    });
    expect(leaks.map((w) => w.file)).toEqual([]);
    // The search finds what it looks for: a file holding 64 characters from the middle of the base64.
    const planted = { file: 'planted', text: `x${pfxBase64.slice(45, 109)}y` };
    expect([planted].filter((w) => longestRunAt(w.text, w.text.indexOf(pfxBase64.slice(64, 96)), 64) >= 64)).toEqual([planted]);
  });

  it('fails the pre-flight before writing anything when the password is wrong, without printing either password', () => {
    const outdir = path.join(workdir, 'failed-out');
    const wrong = randomPassword();
    const result = runScript('scripts/synth.js', ['--check-certs', 'qa'], {
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
    const stack = written.find((w) => w.file.endsWith(path.join('qa', 'cdk.tf.json')));
    expect(stack?.text).toContain('${filebase64(var.mtls_backend_pfx_path)}');
    expect(stack?.text).not.toContain(path.basename(workdir));
  });
});
