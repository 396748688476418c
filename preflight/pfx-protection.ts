import { PBES2, type EncryptedPart, type PfxStructure } from './pfx-structure';
import { PBKDF2_PRFS } from './pkcs12-encryption';

// Which PFX protections the pre-flight treats as current, from the algorithm identifiers in the file
// (pfx-structure.ts), never from whether the local OpenSSL happens to open it.
//
// What Microsoft documents: "About Azure Key Vault certificates", "Get started with Key Vault
// certificates" and the REST reference "Import Certificate - Import Certificate" accept "PFX or PEM"
// and name no PFX encryption or MAC algorithm. The only Microsoft page that names a PFX cipher is App
// Service's "Add and manage TLS/SSL certificates in Azure App Service" (triple DES for its own uploads),
// and "How to secure back-end services using client certificate authentication in Azure API Management"
// only asks for a .pfx. So:
//  - current (opened and fully checked): AES-CBC under PBES2/PBKDF2, which this project exports and
//    OpenSSL 3 writes by default, and three-key triple DES, the cipher Windows exports and App Service names;
//  - legacy (not opened): RC2, RC4, single DES, two-key triple DES and PBES1, which OpenSSL 3 keeps only
//    in its optional legacy provider, so whether they open depends on how the local OpenSSL is configured;
//  - anything else (Camellia, ARIA, SM4, scrypt, unknown OIDs): no Microsoft page names them either, and
//    they are not opened for the same reason.
// The MAC is only checked by OpenSSL when it is an HMAC over SHA-1 or SHA-2, which every OpenSSL 3
// release verifies the same way; PBMAC1 (RFC 9579) exists only from OpenSSL 3.4 on, i.e. not in Node 20.

const PBKDF2 = '1.2.840.113549.1.5.12';

const CURRENT_CIPHERS: Record<string, string> = {
  '1.2.840.113549.1.12.1.3': '3DES (pbeWithSHAAnd3-KeyTripleDES-CBC)',
};
const CURRENT_PBES2_CIPHERS: Record<string, string> = {
  '2.16.840.1.101.3.4.1.2': 'AES-128-CBC',
  '2.16.840.1.101.3.4.1.22': 'AES-192-CBC',
  '2.16.840.1.101.3.4.1.42': 'AES-256-CBC',
  '1.2.840.113549.3.7': 'DES-EDE3-CBC',
};
const LEGACY_CIPHERS: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'RC4-128 (pbeWithSHAAnd128BitRC4)',
  '1.2.840.113549.1.12.1.2': 'RC4-40 (pbeWithSHAAnd40BitRC4)',
  '1.2.840.113549.1.12.1.4': 'two-key 3DES (pbeWithSHAAnd2-KeyTripleDES-CBC)',
  '1.2.840.113549.1.12.1.5': 'RC2-128 (pbeWithSHAAnd128BitRC2-CBC)',
  '1.2.840.113549.1.12.1.6': 'RC2-40 (pbeWithSHAAnd40BitRC2-CBC)',
  '1.2.840.113549.1.5.1': 'DES (pbeWithMD2AndDES-CBC)',
  '1.2.840.113549.1.5.3': 'DES (pbeWithMD5AndDES-CBC)',
  '1.2.840.113549.1.5.4': 'RC2 (pbeWithMD2AndRC2-CBC)',
  '1.2.840.113549.1.5.6': 'RC2 (pbeWithMD5AndRC2-CBC)',
  '1.2.840.113549.1.5.10': 'DES (pbeWithSHA1AndDES-CBC)',
  '1.2.840.113549.1.5.11': 'RC2 (pbeWithSHA1AndRC2-CBC)',
};
const LEGACY_PBES2_CIPHERS: Record<string, string> = {
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC',
};
// Names for the other ciphers OpenSSL writes, so a message can say what the file uses.
const OTHER_PBES2_CIPHERS: Record<string, string> = {
  '1.2.392.200011.61.1.1.1.2': 'CAMELLIA-128-CBC',
  '1.2.392.200011.61.1.1.1.3': 'CAMELLIA-192-CBC',
  '1.2.392.200011.61.1.1.1.4': 'CAMELLIA-256-CBC',
  '1.2.410.200046.1.1.2': 'ARIA-128-CBC',
  '1.2.410.200046.1.1.7': 'ARIA-192-CBC',
  '1.2.410.200046.1.1.12': 'ARIA-256-CBC',
  '1.2.156.10197.1.104.2': 'SM4-CBC',
};

const HMAC_DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '2.16.840.1.101.3.4.2.5': 'SHA-512/224',
  '2.16.840.1.101.3.4.2.6': 'SHA-512/256',
};
const OTHER_MAC_NAMES: Record<string, string> = {
  '1.2.840.113549.1.5.14': 'PBMAC1',
  '1.2.840.113549.2.5': 'MD5',
  '2.16.840.1.101.3.4.2.8': 'SHA3-256',
  '1.2.156.10197.1.401': 'SM3',
};

export type CipherVerdict = 'current' | 'legacy' | 'other';

export interface PfxProtection {
  /** 'hmac': a MAC every OpenSSL 3 verifies alike; 'absent': no MAC; 'other': a MAC the pre-flight does not verify. */
  mac: 'hmac' | 'absent' | 'other';
  /** The MAC algorithm's name (or OID when unknown); null when there is no MAC. */
  macName: string | null;
  /** True when any part is encrypted with a password (so the password matters for opening it). */
  encrypted: boolean;
  /** Names of the legacy ciphers found, then of the other non-current ones; each name once. */
  legacyCiphers: string[];
  otherCiphers: string[];
}

export function classifyProtection(structure: PfxStructure): PfxProtection {
  const legacy = new Set<string>();
  const other = new Set<string>();
  for (const part of structure.encryptedParts) {
    const { verdict, name } = classifyCipher(part);
    if (verdict === 'legacy') legacy.add(name);
    if (verdict === 'other') other.add(name);
  }
  const macOid = structure.macAlgorithm;
  return {
    mac: macOid === null ? 'absent' : HMAC_DIGESTS[macOid] ? 'hmac' : 'other',
    macName: macOid === null ? null : (HMAC_DIGESTS[macOid] ?? OTHER_MAC_NAMES[macOid] ?? macOid),
    // A part that could not be read may well be encrypted: assume the worse.
    encrypted: structure.encryptedParts.length > 0 || !structure.complete,
    legacyCiphers: [...legacy],
    otherCiphers: [...other],
  };
}

function classifyCipher(part: EncryptedPart): { verdict: CipherVerdict; name: string } {
  if (part.algorithm === PBES2 && part.pbes2) {
    const { keyDerivation, cipher } = part.pbes2;
    if (LEGACY_PBES2_CIPHERS[cipher]) return { verdict: 'legacy', name: `${LEGACY_PBES2_CIPHERS[cipher]} (PBES2)` };
    const name = `${CURRENT_PBES2_CIPHERS[cipher] ?? OTHER_PBES2_CIPHERS[cipher] ?? cipher} (PBES2)`;
    if (keyDerivation !== PBKDF2) return { verdict: 'other', name: `${name} with key derivation ${keyDerivation}` };
    // A PRF the pre-flight cannot compute would leave the encrypted certificates, and the key bags they may
    // hold, unread: their work unbounded (pfx-iterations.ts). Not opened, like any other unread cipher.
    if (part.pbes2.prf && !PBKDF2_PRFS[part.pbes2.prf]) return { verdict: 'other', name: `${name} with PBKDF2 PRF ${part.pbes2.prf}` };
    return { verdict: CURRENT_PBES2_CIPHERS[cipher] ? 'current' : 'other', name };
  }
  if (CURRENT_CIPHERS[part.algorithm]) return { verdict: 'current', name: CURRENT_CIPHERS[part.algorithm] };
  if (LEGACY_CIPHERS[part.algorithm]) return { verdict: 'legacy', name: LEGACY_CIPHERS[part.algorithm] };
  return { verdict: 'other', name: part.algorithm };
}
