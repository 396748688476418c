import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateEnvironment } from '../config/validate-environment';
import { printable, printablePath } from '../text/printable';
import { baseEnvironment } from './support/stack-fixture';
import { PROJECT_ROOT } from './support/run-command';
import { writePooledKey } from './support/key-pool';
import { itWith, TOOLS } from './support/required-tools';

const HOSTILE = 'x\n##vso[task.setvariable variable=ARM_CLIENT_ID]attacker\n::add-mask::y\u202Egnp.xfp';

/** No printed line may start a pipeline command or carry a control or bidi character. */
function expectSafeLines(text: string) {
  for (const line of text.split('\n')) {
    expect(line).not.toMatch(/^\s*(##vso\[|##\[|::)/);
    expect(line).not.toMatch(/##vso\[/);
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
  }
}

describe('text printed to a terminal or a pipeline log', () => {
  it('escapes newlines, bidi overrides and pipeline command starts visibly', () => {
    expect(printable(HOSTILE)).toBe('x\\n#\\#vso[task.setvariable variable=ARM_CLIENT_ID]attacker\\n::add-mask::y\\u202egnp.xfp');
    expect(printable('::error::boom')).toBe('\\::error::boom');
    expect(printable('  ::warning title=pwned::x')).toBe('  \\::warning title=pwned::x');
    expect(printable('plain name.pfx')).toBe('plain name.pfx');
  });

  it('shows bytes that are not UTF-8 as \\xNN', () => {
    expect(printablePath(Buffer.concat([Buffer.from('client-'), Buffer.from([0xff]), Buffer.from('é.pfx')]))).toBe('client-\\xffé.pfx');
  });
});

describe('configuration text is refused at the source', () => {
  const problems = (changes: object) => validateEnvironment({ file: 'environments/unit.ts', config: { ...baseEnvironment, ...changes } }).map((p) => p.message);

  it('refuses a newline or a bidi override in any string, and says so without printing it raw', () => {
    const [problem, ...rest] = problems({ policySuppressions: [{ rule: 'AKV3', reason: 'because the vault\n##vso[task.complete result=Succeeded]is open' }] });
    expect(rest).toEqual([]);
    expect(problem).toContain('policySuppressions[0].reason = "because the vault\\n#\\#vso[task.complete result=Succeeded]is open": must not contain control characters');
    expectSafeLines(problem);
    expect(problems({ apiManagement: { ...baseEnvironment.apiManagement, publisherName: 'Contoso\u202Eevil' } })).toEqual([expect.stringContaining('apiManagement.publisherName = "Contoso\\u202eevil": must not contain control characters')]);
  });

  it('refuses "${" and "%{", which Terraform would evaluate, in values and tag names', () => {
    expect(problems({ tags: { owner: '${file("/etc/passwd")}' } })).toEqual([expect.stringContaining('tags.owner = "${file(\\"/etc/passwd\\")}": must not contain "${" or "%{"')]);
    expect(problems({ tags: { '${var.owner}': 'v' } })).toEqual([expect.stringContaining('tags.${var.owner} = "${var.owner}": is a key with control characters, "${" or "%{"')]);
  });
});

describe('commands print hostile names escaped', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-injection-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('cert:check names a file with a newline and U+202E in it visibly escaped', () => {
    const file = path.join(dir, HOSTILE);
    fs.writeFileSync(file, 'not a certificate');
    const result = spawnSync(process.execPath, ['scripts/run.js', 'scripts/cert-check.ts', file], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expectSafeLines(result.stdout + result.stderr);
    expect(result.stdout).toContain(`${dir}/x\\n#\\#vso[task.setvariable variable=ARM_CLIENT_ID]attacker\\n::add-mask::y\\u202egnp.xfp: error:`);
    expect(result.stdout).toContain('the file is neither a PFX/PKCS#12 nor a PEM certificate'); // read, not "missing"
    expect(result.stdout).not.toContain('no file or directory exists');
  });

  itWith(TOOLS.openssl(), 'openssl (to make the certificate)')('cert:check prints a partner-written subject and issuer escaped, in text and --json alike', () => {
    const key = path.join(dir, 'client.key');
    const cert = path.join(dir, 'client.crt');
    // Whoever issues a certificate writes its names: an Azure DevOps command inside a value, a GitHub one, and U+202E.
    const subject = '/CN=orders/O=Fabrikam ##vso[task.complete result=Succeeded]done/OU=::add-mask::x/L=a\u202Egnp.xfp';
    execFileSync('openssl', ['req', '-x509', '-key', writePooledKey(key), '-out', cert, '-days', '90', '-utf8', '-subj', subject, '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'ignore' });
    const bundle = path.join(dir, 'bundle.pem');
    fs.writeFileSync(bundle, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
    for (const args of [[bundle], ['--json', bundle]]) {
      const result = spawnSync(process.execPath, ['scripts/run.js', 'scripts/cert-check.ts', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      expect([args[0], result.status]).toEqual([args[0], 0]);
      expectSafeLines(result.stdout + result.stderr);
      // JSON output shows the same escaped text, JSON-encoded.
      const shown = (text: string) => (args[0] === '--json' ? JSON.stringify(text).slice(1, -1) : text);
      expect(result.stdout).toContain(shown('O=Fabrikam #\\#vso[task.complete result=Succeeded]done'));
      expect(result.stdout).toContain(shown('L=a\\u202egnp.xfp'));
    }
  });

  it('cert:check opens a file whose name is not valid UTF-8, instead of reporting it missing', () => {
    const name = Buffer.concat([Buffer.from(`${dir}/client-`), Buffer.from([0xff, 0xfe]), Buffer.from('.pfx')]);
    fs.writeFileSync(name, 'not a certificate');
    // Through bash's printf: Node's spawn would decode the name as UTF-8 before it reached the command.
    const result = spawnSync('bash', ['-c', `exec "${process.execPath}" scripts/run.js scripts/cert-check.ts "$(printf '%s/client-\\xff\\xfe.pfx' "${dir}")"`], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(result.stdout).toContain(`${dir}/client-\\xff\\xfe.pfx: error:`);
    expect(result.stdout).not.toContain('no file or directory exists');
  });

  it('graph escapes the stack name it was given', () => {
    const env = { ...process.env, CDKTF_OUTDIR: path.join(dir, 'out') };
    expect(spawnSync(process.execPath, ['scripts/synth.js'], { cwd: PROJECT_ROOT, env }).status).toBe(0);
    const result = spawnSync(process.execPath, ['scripts/run.js', 'scripts/graph.ts', HOSTILE], { cwd: PROJECT_ROOT, encoding: 'utf8', env });
    expect(result.stderr).toContain('error: no stack "x\\n#\\#vso[task.setvariable');
    expectSafeLines(result.stdout + result.stderr);
  });
});
