import { createDecipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

// Password-based encryption as PKCS#12 files use it: the PKCS#12 key derivation and its parameters
// (RFC 7292, appendices B.2 and C) and PBES2 with PBKDF2 (RFC 8018). pem-to-pfx.ts writes with it, and
// the pre-flight reads the iteration counts a file asks for and, for the current ciphers, decrypts
// what a file keeps out of sight until the password is known (a key bag inside encrypted contents).
// The cryptography itself is Node's (OpenSSL).

export const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeWithSha1And3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
} as const;

// pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } (RFC 7292, appendix C)
export class Pkcs12PbeParams {
  salt = new OctetString();
  iterations = 0;
}
AsnProp({ type: OctetString })(Pkcs12PbeParams.prototype, 'salt');
AsnProp({ type: AsnPropTypes.Integer })(Pkcs12PbeParams.prototype, 'iterations');
AsnType({ type: AsnTypeTypes.Sequence })(Pkcs12PbeParams);

// PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier } (RFC 8018, A.4)
export class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  encryptionScheme = new AlgorithmIdentifier();
}
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'keyDerivationFunc');
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'encryptionScheme');
AsnType({ type: AsnTypeTypes.Sequence })(Pbes2Params);

// PBKDF2-params ::= SEQUENCE { salt OCTET STRING (the "specified" choice; otherSource is reserved),
//   iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 } (RFC 8018, A.2)
export class Pbkdf2Params {
  salt = new OctetString();
  iterationCount = 0;
  keyLength?: number;
  prf?: AlgorithmIdentifier;
}
AsnProp({ type: OctetString })(Pbkdf2Params.prototype, 'salt');
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, 'iterationCount');
AsnProp({ type: AsnPropTypes.Integer, optional: true })(Pbkdf2Params.prototype, 'keyLength');
AsnProp({ type: AlgorithmIdentifier, optional: true })(Pbkdf2Params.prototype, 'prf');
AsnType({ type: AsnTypeTypes.Sequence })(Pbkdf2Params);

/** PBKDF2's PRFs (RFC 8018, B.1): the HMACs over SHA-1 and SHA-2. Any other is not read (pfx-protection.ts). */
export const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
  '1.2.840.113549.2.12': 'sha512-224',
  '1.2.840.113549.2.13': 'sha512-256',
};
// The PBES2 ciphers the pre-flight calls current (pfx-protection.ts): Node cipher name and key length.
const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/**
 * How many iterations the key derivation of a PKCS#12 PBE or a PBES2/PBKDF2 algorithm asks for; undefined
 * for any other algorithm, or parameters that do not parse (the caller judges those on their own).
 */
export function kdfIterations(algorithm: AlgorithmIdentifier): number | undefined {
  try {
    if (algorithm.algorithm === OID.pbeWithSha1And3KeyTripleDesCbc || algorithm.algorithm.startsWith('1.2.840.113549.1.12.1.')) {
      return algorithm.parameters ? AsnConvert.parse(algorithm.parameters, Pkcs12PbeParams).iterations : undefined;
    }
    if (algorithm.algorithm === OID.pbes2 && algorithm.parameters) {
      const kdf = AsnConvert.parse(algorithm.parameters, Pbes2Params).keyDerivationFunc;
      if (kdf.algorithm !== OID.pbkdf2 || !kdf.parameters) return undefined;
      return AsnConvert.parse(kdf.parameters, Pbkdf2Params).iterationCount;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Decrypts data encrypted under one of the current algorithms (three-key triple DES PKCS#12 PBE, or PBES2
 * with PBKDF2 and AES-CBC or DES-EDE3-CBC); undefined for any other algorithm or when the password does
 * not fit (bad padding). The caller bounds the iteration count first.
 */
export function decryptWithPassword(algorithm: AlgorithmIdentifier, data: Buffer, password: string): Buffer | undefined {
  try {
    if (algorithm.algorithm === OID.pbeWithSha1And3KeyTripleDesCbc && algorithm.parameters) {
      const { salt, iterations } = AsnConvert.parse(algorithm.parameters, Pkcs12PbeParams);
      const saltBytes = Buffer.from(salt.buffer);
      const key = pkcs12Kdf('sha1', password, saltBytes, 1, iterations, 24);
      const iv = pkcs12Kdf('sha1', password, saltBytes, 2, iterations, 8);
      return finish(createDecipheriv('des-ede3-cbc', key, iv), data);
    }
    if (algorithm.algorithm === OID.pbes2 && algorithm.parameters) {
      const { keyDerivationFunc, encryptionScheme } = AsnConvert.parse(algorithm.parameters, Pbes2Params);
      const cipher = PBES2_CIPHERS[encryptionScheme.algorithm];
      if (keyDerivationFunc.algorithm !== OID.pbkdf2 || !keyDerivationFunc.parameters || !cipher || !encryptionScheme.parameters) return undefined;
      const params = AsnConvert.parse(keyDerivationFunc.parameters, Pbkdf2Params);
      const prf = params.prf ? PBKDF2_PRFS[params.prf.algorithm] : 'sha1';
      if (!prf) return undefined;
      // PBES2 takes the password as its UTF-8 bytes, as OpenSSL and Windows write it (not the BMPString of B.2).
      const key = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(params.salt.buffer), params.iterationCount, cipher.keyLength, prf);
      const iv = Buffer.from(AsnConvert.parse(encryptionScheme.parameters, OctetString).buffer);
      return finish(createDecipheriv(cipher.name, key, iv), data);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const finish = (decipher: ReturnType<typeof createDecipheriv>, data: Buffer) => Buffer.concat([decipher.update(data), decipher.final()]);

/** The digests the PKCS#12 key derivation runs on here (Node names), with their output (u) and block (v) sizes. */
const KDF_HASHES = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
  'sha512-224': { u: 28, v: 128 },
  'sha512-256': { u: 32, v: 128 },
} as const;
export type Pkcs12Hash = keyof typeof KDF_HASHES;

/** The MAC digests by OID (RFC 7292's HMACs over SHA-1 and SHA-2). */
export const MAC_DIGESTS: Record<string, Pkcs12Hash> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
};

/**
 * The PKCS#12 key derivation (RFC 7292, appendix B.2): id 1 a cipher key, 2 an IV, 3 the MAC key. The
 * password is a BMPString: UTF-16 big-endian with two zero bytes at the end.
 */
export function pkcs12Kdf(hash: Pkcs12Hash, password: string | null, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const { u, v } = KDF_HASHES[hash]; // output and block size
  // null: no password at all (no bytes), which OpenSSL tries besides the empty one (two zero bytes).
  const pwd = password === null ? Buffer.alloc(0) : Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < (password ?? '').length; i++) pwd.writeUInt16BE(password!.charCodeAt(i), i * 2);
  const fill = (source: Buffer) => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length];
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(pwd)]);
  const output: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    output.push(A);
    const B = fill(A);
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, length);
}
