import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writePooledKey } from './key-pool';

/** Tests that need real certificate files make them with the openssl CLI at run time; none is committed. */
export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** A password no file in the repository could contain by chance. */
export function randomPassword(): string {
  return `pw-${crypto.randomBytes(18).toString('base64url')}`;
}

/** A self-signed RSA-2048 client certificate with its key, as a PFX protected by `password`. */
export function makePfx(dir: string, password: string, name = 'client'): string {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  const pfx = path.join(dir, `${name}.pfx`);
  execFileSync('openssl', ['req', '-x509', '-key', writePooledKey(key), '-out', cert, '-days', '365', '-subj', `/CN=${name}`, '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'ignore' });
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', pfx, '-passout', 'env:PFX_PASSWORD'], {
    stdio: 'ignore',
    env: { ...process.env, PFX_PASSWORD: password },
  });
  fs.rmSync(key);
  return pfx;
}
