import { execFile } from 'node:child_process';
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PFX } from '@peculiar/asn1-pfx';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { pooledKey } from './key-pool';

// Builds every certificate the pre-flight tests need with the real `openssl` CLI, in a fresh
// temporary directory, at test time: no key or PFX is ever committed. Keys are the slow part
// (RSA 2048 especially), so each key is generated once and reused by all the certificates
// that can share it.

export { hasOpenssl } from './openssl';

/** The variable the CLI reads by default, reused for openssl's `-passin env:` so the password never appears in argv. */
export const PASSWORD_ENV = 'CERT_PASSWORD';

export interface CertificateFixtures {
  dir: string;
  /** Random per run and distinctive, so finding it in any output is unambiguous. */
  password: string;
  files: Record<FixtureName, string>;
  /** `openssl x509 -fingerprint -sha1` of the client certificate, colons removed. */
  leafThumbprint: string;
  /** One line of the client key's base64: no output may ever contain it. */
  keyMaterialSample: string;
  /** Runs openssl with the password in PASSWORD_ENV. */
  openssl: (args: string[]) => Promise<string>;
  cleanup: () => Promise<void>;
}

export type FixtureName =
  | 'defaultPfx'
  | 'chainPfx'
  | 'legacyPfx'
  | 'tripleDesPfx'
  | 'emptyPasswordPfx'
  | 'noMacPfx'
  | 'unprotectedNoMacPfx'
  | 'md5MacPfx'
  | 'desPfx'
  | 'camelliaPfx'
  | 'pbmac1Pfx'
  | 'certOnlyPfx'
  | 'keyMismatchPfx'
  | 'expiredPfx'
  | 'expiringSoonPfx'
  | 'serverAuthPfx'
  | 'rsa1024Pfx'
  | 'ecP256Pfx'
  | 'ed25519Pfx'
  | 'truncatedPfx'
  | 'base64Pfx'
  | 'derCertificate'
  | 'notYetValidPem'
  | 'bundlePem'
  | 'encryptedKeyPem'
  | 'pkcs1KeyPem'
  | 'keyMismatchPem'
  | 'crlfPem'
  | 'utf16Pem'
  | 'truncatedPem'
  | 'keyOnlyPem'
  | 'csrPem'
  | 'randomBytes'
  | 'emptyFile'
  | 'directory'
  | 'missingPath';

const CLIENT_EXTENSIONS = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
const SERVER_EXTENSIONS = 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';

// `openssl ca` is the one OpenSSL 3.0 command that accepts explicit start and end dates, which
// is how we get certificates that are really expired or not yet valid (no clock faking).
const CA_CONFIG = `[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = issued
rand_serial = yes
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
x509_extensions = client_ext
[any_name]
commonName = supplied
[client_ext]
${CLIENT_EXTENSIONS}`;

export async function buildCertificateFixtures(): Promise<CertificateFixtures> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cert-check-'));
  const password = randomBytes(18).toString('base64url'); // 24 characters
  const at = (name: string): string => path.join(dir, name);
  const env = { ...process.env, [PASSWORD_ENV]: password };
  const openssl = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('openssl', args, { cwd: dir, env, encoding: 'latin1' }, (failure, stdout, stderr) => {
        if (failure) reject(new Error(`openssl ${args[0]} failed: ${stderr}`));
        else resolve(stdout);
      });
    });
  const pfx = (output: string, inputs: string[], extra: string[] = []): Promise<string> =>
    openssl(['pkcs12', '-export', ...inputs, '-out', output, '-passout', `env:${PASSWORD_ENV}`, ...extra]);
  const write = (name: string, content: string | Buffer): Promise<void> => fs.writeFile(at(name), content);

  // Keys, in parallel: the two RSA 2048 keys dominate the fixture time.
  await Promise.all([
    write('ca.key', pooledKey('rsa:2048')),
    write('client.key', pooledKey('rsa:2048')),
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa1024.key']),
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.key']),
    openssl(['genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.key']),
    write('client.ext', CLIENT_EXTENSIONS),
    write('server.ext', SERVER_EXTENSIONS),
    write('ca.cnf', CA_CONFIG),
    write('index.txt', ''),
    fs.mkdir(at('issued')),
    fs.mkdir(at('a-directory')),
  ]);

  // Certificates. Self-signed ones carry the client EKU so that each shows only the problem it is for.
  const selfSigned = (key: string, subject: string, out: string): Promise<string> =>
    openssl(['req', '-x509', '-key', key, '-subj', subject, '-days', '365', '-addext', 'extendedKeyUsage=clientAuth', '-out', out]);
  await Promise.all([
    openssl(['req', '-x509', '-key', 'ca.key', '-subj', '/CN=Cert Check Test CA', '-days', '3650', '-out', 'ca.crt']),
    openssl(['req', '-new', '-key', 'client.key', '-subj', '/CN=client.cert-check.test/O=Cert Check', '-out', 'client.csr']),
    selfSigned('rsa1024.key', '/CN=rsa1024.cert-check.test', 'rsa1024.crt'),
    selfSigned('ec.key', '/CN=ec.cert-check.test', 'ec.crt'),
    selfSigned('ed25519.key', '/CN=ed25519.cert-check.test', 'ed25519.crt'),
  ]);
  const signByCa = (out: string, extFile: string): Promise<string> =>
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '0x0C11E47', '-days', '365', '-extfile', extFile, '-out', out]);
  // `openssl ca` shares one database file, so these run one after another.
  const signWithDates = (out: string, start: Date, end: Date): Promise<string> =>
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'client.csr', '-notext', '-startdate', asn1Time(start), '-enddate', asn1Time(end), '-out', out]);
  const day = 24 * 60 * 60 * 1000;
  const now = Date.now();
  await Promise.all([signByCa('client.crt', 'client.ext'), signByCa('server-auth.crt', 'server.ext')]);
  await signWithDates('expired.crt', new Date('2020-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z'));
  await signWithDates('not-yet-valid.crt', new Date('2040-01-01T00:00:00Z'), new Date('2041-01-01T00:00:00Z'));
  await signWithDates('expiring-soon.crt', new Date(now - day), new Date(now + 5 * day));

  // Key formats for the PEM cases.
  await Promise.all([
    openssl(['pkcs8', '-topk8', '-in', 'client.key', '-passout', `env:${PASSWORD_ENV}`, '-out', 'client.enc.key']),
    openssl(['rsa', '-in', 'client.key', '-traditional', '-out', 'client.pkcs1.key']),
  ]);

  // Containers.
  await Promise.all([
    pfx('default.pfx', ['-in', 'client.crt', '-inkey', 'client.key']),
    pfx('chain.pfx', ['-in', 'client.crt', '-inkey', 'client.key', '-certfile', 'ca.crt']),
    pfx('legacy.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-legacy']),
    pfx('3des.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES']),
    openssl(['pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-out', 'empty-password.pfx', '-passout', 'pass:']),
    pfx('nomac.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-nomac']),
    // Neither encrypted nor MAC'd: what Java's password-less PKCS12 keystores look like.
    openssl(['pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-out', 'unprotected-nomac.pfx', '-passout', 'pass:', '-certpbe', 'NONE', '-keypbe', 'NONE', '-nomac']),
    pfx('md5-mac.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-macalg', 'md5']),
    // Single DES under PBES2: in OpenSSL 3's legacy provider, like RC2.
    pfx('des.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-legacy', '-certpbe', 'DES-CBC', '-keypbe', 'DES-CBC']),
    // Camellia under PBES2: OpenSSL's default provider reads it, but it is neither AES nor 3DES.
    pfx('camellia.pfx', ['-in', 'client.crt', '-inkey', 'client.key'], ['-certpbe', 'CAMELLIA-256-CBC', '-keypbe', 'CAMELLIA-256-CBC']),
    pfx('cert-only.pfx', ['-in', 'client.crt', '-nokeys']),
    // `openssl pkcs12 -export` refuses a key with a certificate it does not match, but with
    // -nocerts it stores the key and takes -certfile as an extra certificate: a PFX whose only
    // certificate (the CA's) does not belong to its key.
    pfx('key-mismatch.pfx', ['-nocerts', '-inkey', 'client.key', '-certfile', 'ca.crt']),
    pfx('expired.pfx', ['-in', 'expired.crt', '-inkey', 'client.key']),
    pfx('expiring-soon.pfx', ['-in', 'expiring-soon.crt', '-inkey', 'client.key']),
    pfx('server-auth.pfx', ['-in', 'server-auth.crt', '-inkey', 'client.key']),
    pfx('rsa1024.pfx', ['-in', 'rsa1024.crt', '-inkey', 'rsa1024.key']),
    pfx('ec-p256.pfx', ['-in', 'ec.crt', '-inkey', 'ec.key']),
    pfx('ed25519.pfx', ['-in', 'ed25519.crt', '-inkey', 'ed25519.key']),
    openssl(['x509', '-in', 'client.crt', '-outform', 'DER', '-out', 'client.der']),
  ]);

  const read = (name: string): Promise<Buffer> => fs.readFile(at(name));
  await write('pbmac1.pfx', withPbmac1(await read('default.pfx'), password));
  const readText = async (name: string): Promise<string> => (await read(name)).toString('utf8');
  const [clientCrt, caCrt, clientKey, encKey, pkcs1Key, notYetValidCrt, csr] = await Promise.all(
    ['client.crt', 'ca.crt', 'client.key', 'client.enc.key', 'client.pkcs1.key', 'not-yet-valid.crt', 'client.csr'].map(readText),
  );
  const defaultPfxBytes = await read('default.pfx');
  const bundle = clientCrt + caCrt + clientKey;
  await Promise.all([
    write('bundle.pem', bundle),
    write('not-yet-valid.pem', notYetValidCrt + clientKey),
    write('encrypted-key.pem', clientCrt + encKey),
    write('pkcs1-key.pem', clientCrt + pkcs1Key),
    write('key-mismatch.pem', caCrt + clientKey),
    write('crlf.pem', bundle.replace(/\n/g, '\r\n')),
    write('utf16.pem', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bundle, 'utf16le')])),
    // Cut inside the key block: the END line of the key is missing.
    write('truncated.pem', bundle.slice(0, bundle.length - 200)),
    write('key-only.pem', clientKey),
    write('csr.pem', csr),
    write('truncated.pfx', defaultPfxBytes.subarray(0, Math.floor(defaultPfxBytes.length / 2))),
    write('base64.txt', defaultPfxBytes.toString('base64')),
    // Random, but with a first byte that is not an ASN.1 SEQUENCE, so it can never pass for a damaged PFX.
    write('random.bin', Buffer.concat([Buffer.from([0x52]), randomBytes(2047)])),
    write('empty.pfx', ''),
  ]);

  const fingerprint = await openssl(['x509', '-in', 'client.crt', '-noout', '-fingerprint', '-sha1']);
  const keyMaterialSample = clientKey.split('\n')[5];

  const files: Record<FixtureName, string> = {
    defaultPfx: at('default.pfx'),
    chainPfx: at('chain.pfx'),
    legacyPfx: at('legacy.pfx'),
    tripleDesPfx: at('3des.pfx'),
    emptyPasswordPfx: at('empty-password.pfx'),
    noMacPfx: at('nomac.pfx'),
    unprotectedNoMacPfx: at('unprotected-nomac.pfx'),
    md5MacPfx: at('md5-mac.pfx'),
    desPfx: at('des.pfx'),
    camelliaPfx: at('camellia.pfx'),
    pbmac1Pfx: at('pbmac1.pfx'),
    certOnlyPfx: at('cert-only.pfx'),
    keyMismatchPfx: at('key-mismatch.pfx'),
    expiredPfx: at('expired.pfx'),
    expiringSoonPfx: at('expiring-soon.pfx'),
    serverAuthPfx: at('server-auth.pfx'),
    rsa1024Pfx: at('rsa1024.pfx'),
    ecP256Pfx: at('ec-p256.pfx'),
    ed25519Pfx: at('ed25519.pfx'),
    truncatedPfx: at('truncated.pfx'),
    base64Pfx: at('base64.txt'),
    derCertificate: at('client.der'),
    notYetValidPem: at('not-yet-valid.pem'),
    bundlePem: at('bundle.pem'),
    encryptedKeyPem: at('encrypted-key.pem'),
    pkcs1KeyPem: at('pkcs1-key.pem'),
    keyMismatchPem: at('key-mismatch.pem'),
    crlfPem: at('crlf.pem'),
    utf16Pem: at('utf16.pem'),
    truncatedPem: at('truncated.pem'),
    keyOnlyPem: at('key-only.pem'),
    csrPem: at('csr.pem'),
    randomBytes: at('random.bin'),
    emptyFile: at('empty.pfx'),
    directory: at('a-directory'),
    missingPath: at('does-not-exist.pfx'),
  };

  return {
    dir,
    password,
    files,
    leafThumbprint: fingerprint.trim().replace(/^.*=/, '').replace(/:/g, ''),
    keyMaterialSample,
    openssl,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** OpenSSL's GeneralizedTime form for `openssl ca -startdate/-enddate`. */
function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

// PBMAC1 (RFC 9579) is what `openssl pkcs12 -export -pbmac1_pbkdf2` writes from OpenSSL 3.4 on; the
// openssl CLI on CI is 3.0, so the fixture takes an ordinary PFX and replaces its MAC with a valid
// PBMAC1 one: PBKDF2-HMAC-SHA256 of the password gives the key of an HMAC-SHA256 over the same
// authenticated contents the classic MAC covers. Only Node's crypto and asn1-schema's encoder are used.
const OID = { pbmac1: '1.2.840.113549.1.5.14', pbkdf2: '1.2.840.113549.1.5.12', hmacWithSHA256: '1.2.840.113549.2.9' };
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

class Pbkdf2Params {
  salt = new OctetString();
  iterationCount = 0;
  keyLength = 0;
  prf = new AlgorithmIdentifier();
}
AsnProp({ type: OctetString })(Pbkdf2Params.prototype, 'salt');
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, 'iterationCount');
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, 'keyLength');
AsnProp({ type: AlgorithmIdentifier })(Pbkdf2Params.prototype, 'prf');
AsnType({ type: AsnTypeTypes.Sequence })(Pbkdf2Params);

class Pbmac1Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  messageAuthScheme = new AlgorithmIdentifier();
}
AsnProp({ type: AlgorithmIdentifier })(Pbmac1Params.prototype, 'keyDerivationFunc');
AsnProp({ type: AlgorithmIdentifier })(Pbmac1Params.prototype, 'messageAuthScheme');
AsnType({ type: AsnTypeTypes.Sequence })(Pbmac1Params);

function withPbmac1(pfxBytes: Buffer, password: string): Buffer {
  const pfx = AsnConvert.parse(pfxBytes, PFX);
  const authenticated = Buffer.from(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer);
  const salt = randomBytes(16);
  const iterations = 2048;
  const key = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmacWithSha256 = new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: DER_NULL });
  const kdfParams = Object.assign(new Pbkdf2Params(), { salt: new OctetString(salt), iterationCount: iterations, keyLength: 32, prf: hmacWithSha256 });
  const params = Object.assign(new Pbmac1Params(), {
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: OID.pbkdf2, parameters: AsnConvert.serialize(kdfParams) }),
    messageAuthScheme: hmacWithSha256,
  });
  pfx.macData.mac.digestAlgorithm = new AlgorithmIdentifier({ algorithm: OID.pbmac1, parameters: AsnConvert.serialize(params) });
  pfx.macData.mac.digest = new OctetString(createHmac('sha256', key).update(authenticated).digest());
  pfx.macData.macSalt = new OctetString(salt);
  pfx.macData.iterations = iterations;
  return Buffer.from(AsnConvert.serialize(pfx));
}
