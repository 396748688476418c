import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type KeyKind, writePooledKey } from './key-pool';

/**
 * Client certificates made at test time with the openssl CLI (none is committed): a PEM bundle (leaf,
 * its CA, and the leaf's unencrypted PKCS#8 key) and the same certificate and key as a PFX.
 */
export interface TestCertificate {
  /** The PEM bundle's path. */
  readonly pem: string;
  /** The PFX's path, protected by `password`. */
  readonly pfx: string;
  readonly password: string;
  /** SHA-1, upper-case hex, as Key Vault reports it. */
  readonly thumbprint: string;
  /** RFC 3339, as Terraform's state holds it. */
  readonly expires: string;
}

export interface CertificateOptions {
  readonly days?: number;
  /** "rsa:2048" (default), "rsa:3072", "ec:P-256"... */
  readonly key?: KeyKind;
  readonly password?: string;
}

export function makeCertificate(dir: string, name: string, options: CertificateOptions = {}): TestCertificate {
  const file = (suffix: string) => path.join(dir, `${name}.${suffix}`);
  const openssl = (args: string[], env: NodeJS.ProcessEnv = process.env) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env });
  const days = String(options.days ?? 365);
  openssl(['req', '-x509', '-key', writePooledKey(file('ca.key')), '-out', file('ca.crt'), '-days', '3650', '-subj', `/CN=${name} CA`]);
  openssl(['req', '-new', '-key', writePooledKey(file('key'), options.key ?? 'rsa:2048'), '-out', file('csr'), '-subj', `/CN=${name}.fabrikam.example`]);
  fs.writeFileSync(file('ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', file('csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('crt'), '-days', days, '-extfile', file('ext')]);
  const pem = file('pem');
  fs.writeFileSync(pem, [file('crt'), file('ca.crt'), file('key')].map((f) => fs.readFileSync(f, 'utf8')).join(''), { mode: 0o600 });
  const password = options.password ?? `pw-${name}-${Math.random().toString(36).slice(2)}`;
  const pfx = file('pfx');
  openssl(['pkcs12', '-export', '-in', file('crt'), '-inkey', file('key'), '-certfile', file('ca.crt'), '-out', pfx, '-passout', 'env:PFX_PASSWORD'], { ...process.env, PFX_PASSWORD: password });
  const x509 = new X509Certificate(fs.readFileSync(file('crt')));
  for (const suffix of ['ca.key', 'ca.crt', 'key', 'csr', 'crt', 'ca.srl', 'ext']) fs.rmSync(file(suffix), { force: true });
  return { pem, pfx, password, thumbprint: x509.fingerprint.replace(/:/g, '').toUpperCase(), expires: new Date(x509.validTo).toISOString().replace('.000Z', 'Z') };
}
