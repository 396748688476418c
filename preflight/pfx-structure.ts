import { EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, id_pkcs8ShroudedKeyBag, PFX, PKCS8ShroudedKeyBag, SafeContents } from '@peculiar/asn1-pfx';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

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
  /** For PBES2 only: its key derivation function and cipher OIDs. */
  pbes2?: { keyDerivation: string; cipher: string };
}

export interface PfxStructure {
  /** The MAC's digest algorithm OID, or null when the PFX has no MAC. */
  macAlgorithm: string | null;
  /** Every encrypted part that can be seen without the password (a key bag inside encrypted contents cannot). */
  encryptedParts: EncryptedPart[];
  /**
   * False when the outer PFX was read but a part inside it was not (an encoding this reader does not
   * follow, or public-key encrypted contents): what is known is still reported, but not everything is.
   */
  complete: boolean;
}

// The two structures asn1-pfx leaves to the caller, declared with asn1-schema's own decorators
// (applied as functions, so no compiler decorator support is needed):
//   EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo, ... }  (RFC 5652)
//   PBES2-params  ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }  (RFC 8018)
export class EncryptedData {
  version = 0;
  encryptedContentInfo = new EncryptedContentInfo();
}
AsnProp({ type: AsnPropTypes.Integer })(EncryptedData.prototype, 'version');
AsnProp({ type: EncryptedContentInfo })(EncryptedData.prototype, 'encryptedContentInfo');
AsnType({ type: AsnTypeTypes.Sequence })(EncryptedData);

class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  encryptionScheme = new AlgorithmIdentifier();
}
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'keyDerivationFunc');
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'encryptionScheme');
AsnType({ type: AsnTypeTypes.Sequence })(Pbes2Params);

/** The PFX's protection, or undefined when the bytes are not a PKCS#12 PFX at all. */
export function readPfxStructure(bytes: Buffer): PfxStructure | undefined {
  let pfx: PFX;
  try {
    pfx = AsnConvert.parse(bytes, PFX);
  } catch {
    return undefined;
  }
  // macData is OPTIONAL; when it is absent the parser leaves the empty default MacData, whose OID is ''.
  const structure: PfxStructure = { macAlgorithm: pfx.macData?.mac.digestAlgorithm.algorithm || null, encryptedParts: [], complete: true };
  try {
    // Password integrity mode: authSafe is `data` holding the AuthenticatedSafe (RFC 7292, 4.1).
    if (pfx.authSafe.contentType !== id_data) return { ...structure, complete: false };
    const safes = AsnConvert.parse(AsnConvert.parse(pfx.authSafe.content, OctetString), AuthenticatedSafe);
    for (const safe of safes) {
      if (safe.contentType === id_encryptedData) {
        const algorithm = AsnConvert.parse(safe.content, EncryptedData).encryptedContentInfo.contentEncryptionAlgorithm;
        structure.encryptedParts.push(encryptedPart('contents', algorithm));
      } else if (safe.contentType === id_data) {
        for (const bag of AsnConvert.parse(AsnConvert.parse(safe.content, OctetString), SafeContents)) {
          if (bag.bagId === id_pkcs8ShroudedKeyBag) {
            structure.encryptedParts.push(encryptedPart('key', AsnConvert.parse(bag.bagValue, PKCS8ShroudedKeyBag).encryptionAlgorithm));
          }
        }
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

function encryptedPart(part: EncryptedPart['part'], algorithm: AlgorithmIdentifier): EncryptedPart {
  if (algorithm.algorithm !== PBES2 || !algorithm.parameters) return { part, algorithm: algorithm.algorithm };
  const params = AsnConvert.parse(algorithm.parameters, Pbes2Params);
  return { part, algorithm: algorithm.algorithm, pbes2: { keyDerivation: params.keyDerivationFunc.algorithm, cipher: params.encryptionScheme.algorithm } };
}
