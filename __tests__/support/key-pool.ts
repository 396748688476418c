import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Private keys for the certificates tests make, generated at run time and shared across the test files
 * of one jest run. Making an RSA 2048 key costs 0.1-0.4 s of CPU, and the suite made about thirty of
 * them for certificates whose key never mattered, only that it differed from the one before.
 *
 * `__tests__/support/key-pool-directory.ts` (jest's global setup) names a fresh private directory in
 * APIMCERT_TEST_KEY_POOL for the run and removes it after. Each test file takes the slots of a kind in
 * turn (0, 1, 2 ...), so the keys it asks for one after another differ, as a partner's renewal does; slots
 * wrap after KEYS_PER_KIND. Outside such a run (no directory named) every call makes a new key.
 */
const KEYS_PER_KIND = 8;
const nextSlot = new Map<string, number>();

export type KeyKind = `rsa:${number}` | `ec:${'P-256' | 'P-384' | 'P-521'}`;

function generate(kind: KeyKind): string {
  const [type, parameter] = kind.split(':');
  const pair =
    type === 'ec'
      ? crypto.generateKeyPairSync('ec', { namedCurve: parameter })
      : crypto.generateKeyPairSync('rsa', { modulusLength: Number(parameter) });
  // PKCS#8, unencrypted: what `openssl req -nodes` writes.
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A PEM private key of `kind`: the next slot of this test file, made once per jest run. */
export function pooledKey(kind: KeyKind): string {
  const pool = process.env.APIMCERT_TEST_KEY_POOL;
  if (!pool || !fs.existsSync(pool)) return generate(kind);
  const slot = nextSlot.get(kind) ?? 0;
  nextSlot.set(kind, (slot + 1) % KEYS_PER_KIND);
  const file = path.join(pool, `${kind.replace(':', '-')}-${slot}.pem`);
  if (!fs.existsSync(file)) {
    // Two workers may make the same slot at once: each writes its own file and links it into place; the
    // first link wins and the other worker uses the winner's key, so a slot never changes once read.
    const candidate = `${file}.${process.pid}`;
    const key = generate(kind);
    fs.writeFileSync(candidate, key, { mode: 0o600 });
    try {
      fs.linkSync(candidate, file);
    } catch (error) {
      // A file system without hard links (EPERM, ENOTSUP: some network and FAT volumes): this key is used
      // unpooled, which costs time, not correctness.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return key;
    } finally {
      fs.rmSync(candidate, { force: true });
    }
  }
  return fs.readFileSync(file, 'utf8');
}

/** Writes the next pooled key of `kind` to `file` (mode 0600) and returns `file`. */
export function writePooledKey(file: string, kind: KeyKind = 'rsa:2048'): string {
  fs.writeFileSync(file, pooledKey(kind), { mode: 0o600 });
  return file;
}
