import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasOpenssl, randomPassword } from './support/openssl';
import { writePooledKey } from './support/key-pool';
import { describeWith } from './support/required-tools';
import { stateDocument, thumbprintOf } from './support/terraform-state';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

/** One certificate issued twice with the same name, as a partner renews it: different validity, new key. */
function issue(dir: string, label: string, days: number, password: string) {
  const key = path.join(dir, `${label}.key`);
  const pem = path.join(dir, `${label}.crt`);
  const pfx = path.join(dir, `${label}.pfx`);
  execFileSync('openssl', ['req', '-x509', '-key', writePooledKey(key), '-out', pem, '-days', String(days), '-subj', '/CN=mtls-backend.fabrikam.example', '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'ignore' });
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', pem, '-out', pfx, '-passout', 'env:P'], { stdio: 'ignore', env: { ...process.env, P: password } });
  return { pem: fs.readFileSync(pem, 'utf8'), pfx };
}

const short = (thumbprint: string) => `${thumbprint.slice(0, 4)}…${thumbprint.slice(-4)}`;
const day = (pem: string) => new Date(new (require('node:crypto').X509Certificate)(pem).validTo).toISOString().slice(0, 10);

describeWith(hasOpenssl, 'openssl (to make the certificates)')('certificate rotation and expiry, from real certificates and state', () => {
  let dir: string;
  let project: ReturnType<typeof projectWithEnvironments>;
  const password = randomPassword();
  let current: ReturnType<typeof issue>;
  let renewed: ReturnType<typeof issue>;
  let older: ReturnType<typeof issue>;
  const state = (name: string, body: object) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(body));
    return file;
  };
  const rotation = (pfx: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    project.run('scripts/run.js', ['scripts/cert-rotation.ts', 'qa', ...args], { TF_VAR_mtls_backend_pfx_path: pfx, TF_VAR_mtls_backend_pfx_password: password, ALLOW_EARLIER_EXPIRY: undefined, ...env });
  const report = (args: string[]) => project.run('scripts/run.js', ['scripts/cert-report.ts', ...args]);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rotation-'));
    project = projectWithEnvironments([qaEnvironment]);
    current = issue(dir, 'current', 365, password);
    renewed = issue(dir, 'renewed', 730, password);
    older = issue(dir, 'older', 30, password);
  });
  afterAll(() => {
    project.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('npm run cert:rotation', () => {
    it('calls a certificate new when the stack has no state yet', () => {
      const result = rotation(renewed.pfx, []);
      expect([result.status, result.stdout.trim().split('\n')]).toEqual([0, [`${renewed.pfx}: ok (certificate mtls-backend)`, `mtls-backend: new ${short(thumbprintOf(renewed.pem))} (expires ${day(renewed.pem)})`]]);
    });

    it('shows a renewal as old → new thumbprint and expiry, a new version in place, and writes it for the summary page', () => {
      const markdown = path.join(dir, 'summary.md');
      const result = rotation(renewed.pfx, ['--state-json', state('deployed', stateDocument({ 'mtls-backend': { keyVault: { pem: current.pem }, apiManagement: { pem: current.pem } } })), '--markdown', markdown]);
      expect(result.status).toBe(0);
      expect(result.stdout.trim().split('\n').pop()).toBe(
        `mtls-backend: rotating ${short(thumbprintOf(current.pem))} (expires ${day(current.pem)}) → ${short(thumbprintOf(renewed.pem))} (expires ${day(renewed.pem)}), a new version of the same certificate`,
      );
      expect(fs.readFileSync(markdown, 'utf8')).toContain(`| mtls-backend | new version in place | ${short(thumbprintOf(current.pem))} (expires ${day(current.pem)}) | ${short(thumbprintOf(renewed.pem))} (expires ${day(renewed.pem)}) |`);
    });

    it('says unchanged when the file is the certificate Key Vault holds', () => {
      const result = rotation(current.pfx, ['--state-json', state('same', stateDocument({ 'mtls-backend': { keyVault: { pem: current.pem } } }))]);
      expect([result.status, result.stdout.trim().split('\n').pop()]).toEqual([0, `mtls-backend: unchanged ${short(thumbprintOf(current.pem))} (expires ${day(current.pem)}), nothing to import`]);
    });

    it("refuses a file that would change Key Vault's policy (a new key: azurerm would call CreateCertificate), naming both keys, unless told it is meant", () => {
      const deployed = state('ec', stateDocument({ 'mtls-backend': { keyVault: { pem: current.pem, key: { keyType: 'EC', curve: 'P-256' } } } }));
      const refused = rotation(renewed.pfx, ['--state-json', deployed]);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain('POLICY CHANGE (key EC P-256 → RSA 2048): refused unless allowed');
      expect(refused.stderr).toContain("error: mtls-backend: the policy changes (key EC P-256 → RSA 2048). azurerm answers that with CreateCertificate");
      const allowed = rotation(renewed.pfx, ['--state-json', deployed, '--allow-policy-change', 'mtls-backend']);
      expect(allowed.status).toBe(0);
      // Said as allowed, not as refused, on the line the reviewer reads.
      expect(allowed.stdout).toContain('POLICY CHANGE (key EC P-256 → RSA 2048): allowed by ALLOW_POLICY_CHANGE');
      expect(allowed.stdout).not.toContain('refused unless allowed');
    });

    it('refuses, in the review before a plan, an EC file for a certificate whose environment did not accept the EC risk', () => {
      const key = path.join(dir, 'ec.key');
      const pem = path.join(dir, 'ec.crt');
      const pfx = path.join(dir, 'ec.pfx');
      execFileSync('openssl', ['req', '-x509', '-key', writePooledKey(key, 'ec:P-256'), '-out', pem, '-days', '365', '-subj', '/CN=mtls-backend.fabrikam.example', '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'ignore' });
      execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', pem, '-out', pfx, '-passout', 'env:P'], { stdio: 'ignore', env: { ...process.env, P: password } });
      const refused = rotation(pfx, []);
      expect(refused.status).toBe(1);
      // Its own refusal, with the reason and the way out, besides the declared-key mismatch.
      expect(refused.stderr).toContain("error: mtls-backend: the file's key is EC: an API Management certificate with an EC key has been reported to fail on every redeployment");
      expect(refused.stderr).toContain('Fix: use an RSA key (keyType "RSA", 2048 or more bits), or set key.acceptEcKeyRisk');
    });

    it('refuses a certificate that expires before the one in place, unless told it is meant', () => {
      const deployed = state('deployed-older', stateDocument({ 'mtls-backend': { keyVault: { pem: current.pem } } }));
      const refused = rotation(older.pfx, ['--state-json', deployed]);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain('EXPIRES SOONER than the certificate in place');
      expect(refused.stderr.trim()).toBe(
        `error: mtls-backend: the new certificate expires ${day(older.pem)}, before the one in place (${day(current.pem)}). Fix: import the renewed certificate, or pass --allow-earlier-expiry (ALLOW_EARLIER_EXPIRY=1) if going back is intended`,
      );
      expect(rotation(older.pfx, ['--state-json', deployed, '--allow-earlier-expiry']).status).toBe(0);
      expect(rotation(older.pfx, ['--state-json', deployed], { ALLOW_EARLIER_EXPIRY: '1' }).status).toBe(0);
    });

    it('stops on a file the pre-flight rejects, before any table', () => {
      const result = rotation(renewed.pfx, [], { TF_VAR_mtls_backend_pfx_password: 'wrong-password' });
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/renewed\.pfx: error: .*password/);
    });
  });

  describe('npm run cert:report', () => {
    it('prints one line per certificate and exits 0 when all are fine and APIM serves the current version', () => {
      const result = report(['--state-json', state('fine', stateDocument({ 'mtls-backend': { keyVault: { pem: renewed.pem }, apiManagement: { pem: renewed.pem } } }))]);
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toMatch(new RegExp(`^mtls-backend: Key Vault ${short(thumbprintOf(renewed.pem))}, expires ${day(renewed.pem)} \\((729|730) days left\\); APIM serves it$`));
    });

    it('says plainly when APIM still serves an older version, and exits 1', () => {
      const result = report(['--state-json', state('behind', stateDocument({ 'mtls-backend': { keyVault: { pem: renewed.pem }, apiManagement: { pem: current.pem } } }))]);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`APIM STILL SERVES ${short(thumbprintOf(current.pem))}, an older version`);
    });

    it('exits 1 for a certificate within --warn-days, and says to renew it', () => {
      const file = state('soon', stateDocument({ 'mtls-backend': { keyVault: { pem: older.pem }, apiManagement: { pem: older.pem } } }));
      expect(report(['--state-json', file]).stdout).toContain('renew it soon');
      expect(report(['--state-json', file]).status).toBe(1);
      expect(report(['--state-json', file, '--warn-days', '7']).status).toBe(0);
    });

    it('prints an array with one object per certificate with --json', () => {
      const result = report(['--json', '--state-json', state('json', stateDocument({ 'mtls-backend': { keyVault: { pem: renewed.pem }, apiManagement: { pem: current.pem } } }))]);
      expect(JSON.parse(result.stdout)).toEqual([
        expect.objectContaining({ name: 'mtls-backend', keyVaultThumbprint: thumbprintOf(renewed.pem), apimThumbprint: thumbprintOf(current.pem), status: 'apim-behind' }),
      ]);
    });

    it('exits 2 on usage errors and unreadable files', () => {
      expect(report([]).status).toBe(2);
      expect(report(['--state-json', path.join(dir, 'absent.json')]).status).toBe(2);
      fs.writeFileSync(path.join(dir, 'not-state.json'), '{"resources": []}');
      const result = report(['--state-json', path.join(dir, 'not-state.json')]);
      expect([result.status, result.stderr]).toEqual([2, expect.stringContaining('is not `terraform show -json` output')]);
    });

    it('names the document and the fix when a value inside it is wrong, and shows the value escaped', () => {
      const file = state('hostile-name', { format_version: '1.0', values: { root_module: { resources: [{ type: 'azurerm_key_vault_certificate', name: 'x', values: { name: 'x\n##vso[task.complete]' } }] } } });
      const result = report(['--state-json', file]);
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toBe(
        `error: ${file}: holds an azurerm_key_vault_certificate whose name "x\\n#\\#vso[task.complete]" is not a certificate name. Fix: pass the output of \`terraform show -json\` run in the stack's directory`,
      );
    });
  });
});
