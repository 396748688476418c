import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The hosts the emulator answers for; one leaf certificate carries them all as subject alternative names. */
export const EMULATED_HOST_NAMES = [
  '*.vault.azure.net',
  'management.azure.com',
  'login.microsoftonline.com',
  'graph.microsoft.com',
  'azcliprod.blob.core.windows.net',
] as const;

export interface CertificateAuthority {
  /** PEM of the CA certificate; the only certificate az, requests and Node are told to trust. */
  readonly caCertificatePem: string;
  /** The same PEM on disk, for REQUESTS_CA_BUNDLE, SSL_CERT_FILE and NODE_EXTRA_CA_CERTS. */
  readonly caBundleFile: string;
  /** The leaf the proxy presents for every emulated host. */
  readonly leafCertificatePem: string;
  readonly leafKeyPem: string;
}

const openssl = (args: readonly string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A certificate authority made at test time with the openssl CLI (Node's crypto cannot issue X.509
 * certificates), and one leaf for every emulated host. EC P-256 keeps key generation to milliseconds.
 * The extensions are what Python's ssl (OpenSSL 3, strict chain building) wants: a CA with
 * basicConstraints CA:TRUE and keyCertSign, a leaf with SANs, serverAuth, and SKI/AKI.
 */
export function createCertificateAuthority(dir: string, hostNames: readonly string[] = EMULATED_HOST_NAMES): CertificateAuthority {
  fs.mkdirSync(dir, { recursive: true });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Azure emulator test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash'],
    dir,
  );
  openssl(['req', '-new', ...ecKey, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=azure-emulator'], dir);
  fs.writeFileSync(
    path.join(dir, 'leaf.ext'),
    [
      `subjectAltName=${hostNames.map((h) => `DNS:${h}`).join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
  const caCertificatePem = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
  const caBundleFile = path.join(dir, 'ca-bundle.pem');
  fs.writeFileSync(caBundleFile, caCertificatePem);
  fs.rmSync(path.join(dir, 'ca.key'));
  return {
    caCertificatePem,
    caBundleFile,
    leafCertificatePem: fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8'),
    leafKeyPem: fs.readFileSync(path.join(dir, 'leaf.key'), 'utf8'),
  };
}
