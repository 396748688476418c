import { createCipheriv, createHash, createHmac, type KeyObject, type X509Certificate } from 'node:crypto';
import { EncryptedContent, EncryptedContentInfo, ContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, id_certBag, id_pkcs8ShroudedKeyBag, id_x509Certificate, MacData, PFX, PKCS12Attribute, PKCS8ShroudedKeyBag, SafeBag, SafeContents } from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { readPem } from '../preflight/pem';
import { EncryptedData } from '../preflight/pfx-structure';
import { OID as PBE_OID, Pkcs12PbeParams, pkcs12Kdf } from '../preflight/pkcs12-encryption';
import { StepFailure } from './step-failure';

/**
 * A PEM bundle (certificate chain and private key) as the PKCS#12 file API Management needs in Key Vault,
 * made the same, byte for byte, every time from the same certificate and key.
 *
 * Why deterministic: Terraform compares `certificate.contents` and `password` with what it imported last.
 * A conversion with fresh random salts and a fresh password (what `openssl pkcs12 -export` does) gives
 * Terraform new inputs on every run, so every plan would import a new version of an unchanged
 * certificate, refresh APIM, and ask the approver to approve a change that is none. Here the password,
 * the salts and the IVs are derived (HMAC-SHA-256) from the certificate chain and the key themselves.
 * That costs no secrecy: the password protects the PFX only on its way to Key Vault, and whoever can
 * derive it already holds the PEM, whose key is unencrypted; the Terraform state keeps both contents and
 * password anyway. Derived from the decoded DER, not the PEM text, so re-wrapped lines or CRLF endings
 * give the same PFX.
 *
 * Which protection: the key bag and the certificates under pbeWithSHAAnd3-KeyTripleDES-CBC, and an
 * HMAC-SHA-1 integrity MAC, 2048 iterations each: the PKCS#12 profile that Windows exports as
 * "TripleDES-SHA1" and that Key Vault has imported in every report, where a PFX under PBES2/AES-256 with a
 * SHA-256 MAC (OpenSSL 3's default) was reported refused by Key Vault (MicrosoftDocs/azure-docs#39861) and
 * is unreadable to Windows Server 2016 crypto; Microsoft documents no PFX cipher for Key Vault at all
 * ("Import Certificate" REST reference, "About Azure Key Vault certificates"). The choice costs nothing
 * here: the password is 256 bits derived as above, which no attack on 3DES or on HMAC-SHA-1 comes near,
 * and the file only ever lives in a private temporary directory, the sealed plan and the state. The
 * pre-flight calls this profile current (preflight/pfx-protection.ts), and Node's own TLS stack opens it on
 * every supported Node (the tests do). Encoded with @peculiar/asn1-pfx (RFC 7292 schemas); the
 * cryptography is Node's (OpenSSL), with the PKCS#12 key derivation of RFC 7292 appendix B.2 on top.
 */

const OID = {
  pbeWithSha1And3KeyTripleDesCbc: PBE_OID.pbeWithSha1And3KeyTripleDesCbc,
  sha1: '1.3.14.3.2.26',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;
const ITERATIONS = 2048;
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;
const DERIVATION_LABEL = 'apimcert pem-to-pfx v1';

export interface ConvertedPfx {
  readonly pfx: Buffer;
  /** 43 characters, URL-safe base64: never a character a shell, a YAML file or Terraform would read as syntax. */
  readonly password: string;
  /** SHA-1 thumbprint of the leaf certificate, upper-case hex, as Key Vault reports it. */
  readonly thumbprint: string;
}

const toArrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
const der = (value: unknown) => Buffer.from(AsnConvert.serialize(value));

/** The certificate chain (leaf first) and its key from PEM text; a StepFailure naming the file otherwise. */
export function readPemBundle(text: string, file: string): { certificates: X509Certificate[]; key: KeyObject } {
  const read = readPem(text, { file, password: undefined, passwordEnv: 'PFX_PASSWORD' });
  const problem = read.findings.find((f) => f.severity === 'error');
  if (problem) throw new StepFailure(`${file}: ${problem.message} Fix: ${problem.fix}`);
  if (!read.leaf || !read.key) throw new StepFailure(`${file}: holds no certificate with its private key. Fix: put the certificate chain and its unencrypted PKCS#8 key in one file`);
  const leaf = read.leaf;
  return { certificates: [leaf, ...read.certificates.filter((c) => c !== leaf)], key: read.key };
}

export function pemToPfx(text: string, file: string): ConvertedPfx {
  const { certificates, key } = readPemBundle(text, file);
  const keyDer = key.export({ type: 'pkcs8', format: 'der' });
  const seed = createHash('sha256').update(DERIVATION_LABEL).update(keyDer);
  for (const certificate of certificates) seed.update(certificate.raw);
  const secret = seed.digest();
  const derive = (label: string, length: number) => createHmac('sha256', secret).update(label).digest().subarray(0, length);
  const password = derive('password', 32).toString('base64url');
  const localKeyId = createHash('sha1').update(certificates[0].raw).digest();

  const localKeyIdAttribute = () => {
    const attribute = new PKCS12Attribute();
    attribute.attrId = OID.localKeyId;
    attribute.attrValues = [toArrayBuffer(der(new OctetString(localKeyId)))];
    return [attribute];
  };

  // The certificates, leaf first (with the key's localKeyId), in an encrypted SafeContents.
  const certBags = new SafeContents(
    certificates.map((certificate, i) => {
      const bag = new SafeBag({
        bagId: id_certBag,
        bagValue: toArrayBuffer(der(new CertBag({ certId: id_x509Certificate, certValue: toArrayBuffer(der(new OctetString(certificate.raw))) }))),
      });
      if (i === 0) bag.bagAttributes = localKeyIdAttribute();
      return bag;
    }),
  );
  const certEncryption = tripleDes(password, derive('certificates salt', 8));
  const encryptedCerts = new EncryptedData();
  encryptedCerts.encryptedContentInfo = new EncryptedContentInfo({
    contentType: id_data,
    contentEncryptionAlgorithm: certEncryption.algorithm,
    encryptedContent: new EncryptedContent({ value: new OctetString(certEncryption.encrypt(der(certBags))) }),
  });

  // The key, in a shrouded key bag of its own.
  const keyEncryption = tripleDes(password, derive('key salt', 8));
  const shrouded = new PKCS8ShroudedKeyBag({ encryptionAlgorithm: keyEncryption.algorithm, encryptedData: new OctetString(keyEncryption.encrypt(keyDer)) });
  const keyBag = new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: toArrayBuffer(der(shrouded)) });
  keyBag.bagAttributes = localKeyIdAttribute();

  const authenticatedSafe = der(
    new AuthenticatedSafe([
      new ContentInfo({ contentType: id_encryptedData, content: toArrayBuffer(der(encryptedCerts)) }),
      new ContentInfo({ contentType: id_data, content: toArrayBuffer(der(new OctetString(der(new SafeContents([keyBag]))))) }),
    ]),
  );
  const macSalt = derive('mac salt', 8);
  const macKey = pkcs12Kdf('sha1', password, macSalt, 3, ITERATIONS, 20);
  const mac = createHmac('sha1', macKey).update(authenticatedSafe).digest();
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: toArrayBuffer(der(new OctetString(authenticatedSafe))) }),
    macData: new MacData({
      mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha1, parameters: DER_NULL }), digest: new OctetString(mac) }),
      macSalt: new OctetString(macSalt),
      iterations: ITERATIONS,
    }),
  });
  return { pfx: der(pfx), password, thumbprint: createHash('sha1').update(certificates[0].raw).digest('hex').toUpperCase() };
}

/** PKCS#12 password-based encryption with three-key triple DES: key and IV from the B.2 derivation (ids 1 and 2). */
function tripleDes(password: string, salt: Buffer) {
  const params = Object.assign(new Pkcs12PbeParams(), { salt: new OctetString(salt), iterations: ITERATIONS });
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: OID.pbeWithSha1And3KeyTripleDesCbc, parameters: toArrayBuffer(der(params)) }),
    encrypt: (clear: Buffer) => {
      const key = pkcs12Kdf('sha1', password, salt, 1, ITERATIONS, 24);
      const iv = pkcs12Kdf('sha1', password, salt, 2, ITERATIONS, 8);
      const cipher = createCipheriv('des-ede3-cbc', key, iv);
      return Buffer.concat([cipher.update(clear), cipher.final()]);
    },
  };
}
