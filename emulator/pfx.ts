import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ReadCertificate {
  /** DER of the leaf (the certificate whose key is in the PFX). */
  readonly der: Buffer;
  readonly x509: crypto.X509Certificate;
  readonly hasPrivateKey: boolean;
  /** Private key (when present) and certificates as PEM text: what a PEM-content-type secret holds. */
  readonly pem: string;
}

export type ReadResult = { ok: true; certificate: ReadCertificate } | { ok: false; message: string };

/** Key Vault's answer to a PFX it cannot open, wrong password included (seen in real az output: BadParameter). */
export const UNREADABLE_PKCS12 = 'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.';

function pkcs12(pfx: Buffer, password: string, args: readonly string[]): string | undefined {
  for (const legacy of [[], ['-legacy']]) {
    const result = spawnSync('openssl', ['pkcs12', '-passin', 'env:AZURE_EMULATOR_PFX_PASSWORD', ...legacy, ...args], {
      input: pfx,
      env: { ...process.env, AZURE_EMULATOR_PFX_PASSWORD: password },
      encoding: 'buffer',
    });
    if (result.status === 0) return result.stdout.toString('utf8');
  }
  return undefined;
}

/**
 * Opens a PKCS#12 file the way Key Vault's ImportCertificate must: Node's crypto cannot parse PKCS#12, so the
 * openssl CLI extracts the leaf (`-clcerts`, the certificate matching the key) and checks a key is present.
 * OpenSSL 3 refuses RC2/3DES PFX files without `-legacy`; Key Vault accepts them, so the legacy provider is
 * tried second.
 */
export function readPfx(pfx: Buffer, password: string): ReadResult {
  const certs = pkcs12(pfx, password, ['-nokeys', '-clcerts']);
  const pem = certs ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certs)?.[0] : undefined;
  if (!pem) return { ok: false, message: UNREADABLE_PKCS12 };
  const everything = pkcs12(pfx, password, ['-nodes']) ?? '';
  const x509 = new crypto.X509Certificate(pem);
  return { ok: true, certificate: { der: x509.raw, x509, hasPrivateKey: /PRIVATE KEY-----/.test(everything), pem: pemBlocks(everything) } };
}

/** A PEM import (`contentType: application/x-pem-file`): certificate plus private key in one text. */
export function readPem(text: string): ReadResult {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (!pem) return { ok: false, message: 'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.' };
  const x509 = new crypto.X509Certificate(pem);
  return { ok: true, certificate: { der: x509.raw, x509, hasPrivateKey: /PRIVATE KEY-----/.test(text), pem: pemBlocks(text) } };
}

/** SHA-1 of the DER: what Key Vault returns as `x5t` (base64url) and APIM as `thumbprint` (upper-case hex). */
export const sha1 = (der: Buffer): Buffer => crypto.createHash('sha1').update(der).digest();

/** Only the PEM blocks of openssl's output (it prints "Bag Attributes" lines between them). */
const pemBlocks = (text: string): string => (text.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g) ?? []).join('\n') + '\n';

/**
 * The PFX Key Vault keeps as the certificate's secret: re-packaged without a password (which is what
 * GetSecret returns for application/x-pkcs12, and what APIM loads).
 */
export function passwordlessPfx(pem: string): Buffer {
  // openssl reads the key and the certificates from -in separately, so it needs a file, not stdin.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-emulator-pfx-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.pem'), pem, { mode: 0o600 });
    const result = spawnSync('openssl', ['pkcs12', '-export', '-in', path.join(dir, 'in.pem'), '-passout', 'pass:']);
    if (result.status !== 0) throw new Error(`openssl pkcs12 -export failed: ${result.stderr.toString('utf8')}`);
    return result.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
