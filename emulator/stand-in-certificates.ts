import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Certificates for a rehearsal whose environment names no file for a certificate: self-signed, with the key
// the environment declares, made with the openssl CLI (which the emulator needs anyway for its test CA;
// Node cannot issue an X.509 certificate). Never for Azure: they exist for one rehearsal, in its directory.

export function hasOpensslCli(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export interface StandInKey {
  readonly keyType: 'RSA' | 'EC';
  readonly keySize?: number;
  readonly curve?: string;
}

/** A PFX with a random password, or a PEM bundle (certificate and unencrypted PKCS#8 key), in `dir`. */
export function makeStandInCertificate(dir: string, name: string, options: { format: 'pfx' | 'pem'; key?: StandInKey }): { file: string; password?: string } {
  // Key Vault's curve names, as OpenSSL knows them (P-256K is secp256k1 there).
  const curve = options.key?.curve === 'P-256K' ? 'secp256k1' : options.key?.curve;
  const key = options.key?.keyType === 'EC' ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`] : ['-newkey', `rsa:${options.key?.keySize ?? 2048}`];
  const base = path.join(dir, name);
  const openssl = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, ...env } });
    if (result.status !== 0) throw new Error(`openssl could not make a stand-in certificate for ${name}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  };
  try {
    openssl(['req', '-x509', ...key, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '365', '-subj', `/CN=${name}.rehearsal`, '-addext', 'extendedKeyUsage=clientAuth']);
    if (options.format === 'pem') {
      fs.writeFileSync(`${base}.pem`, fs.readFileSync(`${base}.crt`, 'utf8') + fs.readFileSync(`${base}.key`, 'utf8'), { mode: 0o600 });
      return { file: `${base}.pem` };
    }
    const password = crypto.randomBytes(18).toString('base64url');
    // The password reaches openssl through its environment, never its command line.
    openssl(['pkcs12', '-export', '-inkey', `${base}.key`, '-in', `${base}.crt`, '-out', `${base}.pfx`, '-passout', 'env:STAND_IN_PFX_PASSWORD'], { STAND_IN_PFX_PASSWORD: password });
    return { file: `${base}.pfx`, password };
  } finally {
    fs.rmSync(`${base}.key`, { force: true });
  }
}
