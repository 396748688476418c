import { EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, id_pkcs8ShroudedKeyBag, PFX, PKCS8ShroudedKeyBag, SafeContents } from '@peculiar/asn1-pfx';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { decryptWithPassword, kdfIterations, MAC_DIGESTS, OID, Pbes2Params, Pbkdf2Params, pkcs12Kdf } from './pkcs12-encryption';

// Reads how a PFX is protected (its MAC, and the algorithm of every password-encrypted part) from
// the file's ASN.1 structure, without a password and without OpenSSL. What the local OpenSSL can
// open differs between Node releases (OpenSSL 3.0 in Node 20 refuses a PFX without a MAC that
// OpenSSL 3.5 in Node 22/24 opens), so the pre-flight decides from this structure instead.
// The parsing is @peculiar/asn1-pfx's (RFC 7292 schemas); this module only walks the result.

export const PBES2 = '1.2.840.113549.1.5.13';

/** How one password-encrypted part of the PFX is protected. */
export interface EncryptedPart {
  /** 'contents': an encrypted SafeContents (usually the certificates); 'key': a shrouded private key bag. */
  part: 'contents' | 'key';
  /** The encryption algorithm OID: a PKCS#12 PBE, a PBES1 scheme, or PBES2. */
  algorithm: string;
  /** For PBES2 only: its key derivation function and cipher OIDs, and PBKDF2's PRF (hmacWithSHA1 when not named). */
  pbes2?: { keyDerivation: string; cipher: string; prf?: string };
  /** Iterations its key derivation asks for (PKCS#12 PBE or PBKDF2); undefined for other algorithms. */
  iterations?: number;
}

export interface PfxStructure {
  /** The MAC's digest algorithm OID, or null when the PFX has no MAC. */
  macAlgorithm: string | null;
  /** Iterations of the MAC key's derivation; null when the PFX has no MAC. */
  macIterations: number | null;
  /** Every encrypted part that can be seen without the password (a key bag inside encrypted contents cannot). */
  encryptedParts: EncryptedPart[];
  /**
   * False when the outer PFX was read but a part inside it was not (an encoding this reader does not
   * follow, or public-key encrypted contents): what is known is still reported, but not everything is.
   */
  complete: boolean;
  /** The encrypted SafeContents (their algorithm identifier's DER, and the ciphertext): what insideEncryptedContents() decrypts. */
  encryptedContents: { algorithm: Buffer; data: Buffer }[];
}

// A structure asn1-pfx leaves to the caller, declared with asn1-schema's own decorators (applied as
// functions, so no compiler decorator support is needed):
//   EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo, ... }  (RFC 5652)
export class EncryptedData {
  version = 0;
  encryptedContentInfo = new EncryptedContentInfo();
}
AsnProp({ type: AsnPropTypes.Integer })(EncryptedData.prototype, 'version');
AsnProp({ type: EncryptedContentInfo })(EncryptedData.prototype, 'encryptedContentInfo');
AsnType({ type: AsnTypeTypes.Sequence })(EncryptedData);


/** The PFX's protection, or undefined when the bytes are not a PKCS#12 PFX at all. */
export function readPfxStructure(bytes: Buffer): PfxStructure | undefined {
  let pfx: PFX;
  try {
    pfx = AsnConvert.parse(bytes, PFX);
  } catch {
    return undefined;
  }
  // macData is OPTIONAL; when it is absent the parser leaves the empty default MacData, whose OID is ''.
  const macAlgorithm = pfx.macData?.mac.digestAlgorithm.algorithm || null;
  const structure: PfxStructure = { macAlgorithm, macIterations: macAlgorithm === null ? null : pfx.macData.iterations, encryptedParts: [], complete: true, encryptedContents: [] };
  try {
    // Password integrity mode: authSafe is `data` holding the AuthenticatedSafe (RFC 7292, 4.1).
    if (pfx.authSafe.contentType !== id_data) return { ...structure, complete: false };
    const safes = AsnConvert.parse(AsnConvert.parse(pfx.authSafe.content, OctetString), AuthenticatedSafe);
    for (const safe of safes) {
      if (safe.contentType === id_encryptedData) {
        const info = AsnConvert.parse(safe.content, EncryptedData).encryptedContentInfo;
        structure.encryptedParts.push(encryptedPart('contents', info.contentEncryptionAlgorithm));
        // Primitive, or constructed from segments (BER, as Windows writes it).
        const content = info.encryptedContent;
        const segments = content?.value ? [content.value] : (content?.constructedValue ?? []);
        if (segments.length > 0) structure.encryptedContents.push({ algorithm: Buffer.from(AsnConvert.serialize(info.contentEncryptionAlgorithm)), data: Buffer.concat(segments.map((s) => Buffer.from(s.buffer))) });
        else structure.complete = false;
      } else if (safe.contentType === id_data) {
        structure.encryptedParts.push(...keyBags(AsnConvert.parse(AsnConvert.parse(safe.content, OctetString), SafeContents)));
      } else {
        // envelopedData (public-key privacy mode): nothing in it can be seen with a password.
        structure.complete = false;
      }
    }
  } catch {
    structure.complete = false;
  }
  return structure;
}

/**
 * The key bags kept inside encrypted contents, which only the password shows: decrypted here (the
 * current ciphers only) so that their protection, and the work their key derivation asks for, are known
 * before OpenSSL is given the file. Undefined when the contents do not decrypt with this password.
 */
export function insideEncryptedContents(structure: PfxStructure, password: string): EncryptedPart[] | undefined {
  const parts: EncryptedPart[] = [];
  for (const { algorithm, data } of structure.encryptedContents) {
    const clear = decryptWithPassword(AsnConvert.parse(algorithm, AlgorithmIdentifier), data, password);
    if (!clear) return undefined;
    try {
      parts.push(...keyBags(AsnConvert.parse(clear, SafeContents)));
    } catch {
      return undefined;
    }
  }
  return parts;
}

function keyBags(bags: SafeContents): EncryptedPart[] {
  return bags.filter((bag) => bag.bagId === id_pkcs8ShroudedKeyBag).map((bag) => encryptedPart('key', AsnConvert.parse(bag.bagValue, PKCS8ShroudedKeyBag).encryptionAlgorithm));
}

function encryptedPart(part: EncryptedPart['part'], algorithm: AlgorithmIdentifier): EncryptedPart {
  const iterations = kdfIterations(algorithm);
  if (algorithm.algorithm !== PBES2 || !algorithm.parameters) return { part, algorithm: algorithm.algorithm, iterations };
  const params = AsnConvert.parse(algorithm.parameters, Pbes2Params);
  const kdf = params.keyDerivationFunc;
  const prf = kdf.algorithm === OID.pbkdf2 && kdf.parameters ? (AsnConvert.parse(kdf.parameters, Pbkdf2Params).prf?.algorithm ?? HMAC_WITH_SHA1) : undefined;
  return { part, algorithm: algorithm.algorithm, pbes2: { keyDerivation: kdf.algorithm, cipher: params.encryptionScheme.algorithm, ...(prf ? { prf } : {}) }, iterations };
}

const HMAC_WITH_SHA1 = '1.2.840.113549.2.7';

/**
 * Whether `password` opens the PFX's HMAC (RFC 7292, 5.1: the key from the PKCS#12 derivation, id 3, over the
 * AuthenticatedSafe's bytes): the password check OpenSSL makes first, made here without OpenSSL, which
 * would go on to decrypt every part, a key bag's unbounded derivation included. `null`: no password at
 * all (OpenSSL tries it besides the empty one). Undefined without an HMAC this reader knows.
 */
export function macVerifies(bytes: Buffer, password: string | null): boolean | undefined {
  try {
    const pfx = AsnConvert.parse(bytes, PFX);
    const hash = MAC_DIGESTS[pfx.macData?.mac.digestAlgorithm.algorithm ?? ''];
    if (!hash || pfx.authSafe.contentType !== id_data) return undefined;
    const content = Buffer.from(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer);
    const expected = Buffer.from(pfx.macData.mac.digest.buffer);
    const key = pkcs12Kdf(hash, password, Buffer.from(pfx.macData.macSalt.buffer), 3, pfx.macData.iterations, createHash(hash).digest().length);
    const actual = createHmac(hash, key).update(content).digest();
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return undefined;
  }
}
