import type { X509Certificate } from 'node:crypto';
import { error, warning, type CertificateDetails, type ContainerFormat, type Finding } from './findings';
import { newClientCsr } from './openssl-commands';
import { printable } from '../text/printable';

// Judges the client certificate itself, whatever container it came in: dates, key, usage.
// The rules are Key Vault's import rules and API Management's known behaviour, so that a
// certificate that passes here is not rejected later at `cdktf deploy`.

export const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_RSA_BITS = 2048;
// Key Vault certificate policies accept exactly these; anything else fails at import.
const KEY_VAULT_RSA_SIZES = new Set([2048, 3072, 4096]);
// OpenSSL's curve names, translated to Key Vault's.
const KEY_VAULT_CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  secp256k1: 'P-256K',
};
const KEY_TYPE_NAMES: Record<string, string> = {
  rsa: 'RSA',
  'rsa-pss': 'RSA-PSS',
  ec: 'EC',
  dsa: 'DSA',
  ed25519: 'Ed25519',
  ed448: 'Ed448',
};

export interface InspectOptions {
  format: ContainerFormat;
  hasPrivateKey: boolean;
  chainLength: number | null;
  now: Date;
  warnDays: number;
}

export interface Inspection {
  details: CertificateDetails;
  findings: Finding[];
}

export function inspectCertificate(leaf: X509Certificate, options: InspectOptions): Inspection {
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const publicKey = leaf.publicKey;
  const rawKeyType = publicKey.asymmetricKeyType ?? 'unknown';
  const keyDetails = publicKey.asymmetricKeyDetails ?? {};
  const keySize = keyDetails.modulusLength;
  const curve = keyDetails.namedCurve ? (KEY_VAULT_CURVES[keyDetails.namedCurve] ?? keyDetails.namedCurve) : undefined;
  // Node calls the Extended Key Usage list `keyUsage`; it is undefined when the extension is absent.
  const extendedKeyUsage = leaf.keyUsage ?? null;

  const details: CertificateDetails = {
    format: options.format,
    subject: distinguishedName(leaf.subject),
    issuer: distinguishedName(leaf.issuer),
    thumbprint: leaf.fingerprint.replace(/:/g, '').toUpperCase(),
    serialNumber: leaf.serialNumber.toUpperCase(),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - options.now.getTime()) / DAY_MS),
    keyType: KEY_TYPE_NAMES[rawKeyType] ?? rawKeyType.toUpperCase(),
    ...(keySize !== undefined ? { keySize } : {}),
    ...(curve !== undefined ? { curve } : {}),
    clientAuthEku: extendedKeyUsage?.includes(CLIENT_AUTH_EKU) ?? false,
    extendedKeyUsage,
    hasPrivateKey: options.hasPrivateKey,
    chainLength: options.chainLength,
  };

  return {
    details,
    findings: [...validityFindings(notBefore, notAfter, options), ...keyFindings(rawKeyType, keySize, curve), ...usageFindings(extendedKeyUsage)],
  };
}

/** "CN=client, O=Contoso": one line, in the certificate's own order, like the Azure portal shows it. */
/**
 * Node's one-attribute-per-line name as one line. Escaped (text/printable): a subject or issuer is written by
 * whoever made the certificate, a partner or its CA, and reaches terminals, pipeline logs and --json output,
 * where `##vso[` would be an Azure DevOps command and U+202E would reorder what the reader sees.
 */
function distinguishedName(multiline: string): string {
  return multiline
    .split('\n')
    .filter(Boolean)
    .map((attribute) => printable(attribute))
    .join(', ');
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function validityFindings(notBefore: Date, notAfter: Date, options: InspectOptions): Finding[] {
  const now = options.now.getTime();
  const renew = 'renew it with the issuing CA and export a new PFX (certificate, chain and key).';
  if (notAfter.getTime() <= now) {
    return [error('expired', `the certificate expired on ${utc(notAfter)}; backends reject it and API Management cannot use it.`, renew)];
  }
  if (notBefore.getTime() > now) {
    return [
      error(
        'not-yet-valid',
        `the certificate is not valid before ${utc(notBefore)}; until then backends reject it.`,
        'wait until that date, or have it reissued with a start date in the past (check the clock of the machine that issued it).',
      ),
    ];
  }
  const remainingMs = notAfter.getTime() - now;
  if (remainingMs <= options.warnDays * DAY_MS) {
    const days = Math.floor(remainingMs / DAY_MS);
    return [warning('expires-soon', `the certificate expires on ${utc(notAfter)}, in ${days} day(s) (warning threshold: ${options.warnDays} days).`, renew)];
  }
  return [];
}

function keyFindings(rawKeyType: string, keySize: number | undefined, curve: string | undefined): Finding[] {
  if (rawKeyType === 'rsa' && keySize !== undefined) {
    if (keySize < MIN_RSA_BITS) {
      return [
        error(
          'rsa-key-too-small',
          `the RSA key has ${keySize} bits; Key Vault rejects RSA keys under ${MIN_RSA_BITS} bits and so do current TLS servers.`,
          `issue a new certificate with an RSA 2048-bit (or larger) key: \`${newClientCsr('rsa:2048')}\`.`,
        ),
      ];
    }
    if (!KEY_VAULT_RSA_SIZES.has(keySize)) {
      return [unsupportedKey(`an RSA key of ${keySize} bits`)];
    }
    return [];
  }
  if (rawKeyType === 'ec') {
    if (curve === undefined || !Object.values(KEY_VAULT_CURVES).includes(curve)) {
      return [unsupportedKey(`an EC key on curve ${curve ?? 'unknown'}`)];
    }
    return [
      warning(
        'ec-key',
        `the key is EC (${curve}); Key Vault accepts it, but API Management has known trouble presenting EC client certificates to backends, so RSA is advised.`,
        `if a backend handshake fails, reissue with an RSA key: \`${newClientCsr('rsa:2048')}\`.`,
      ),
    ];
  }
  return [unsupportedKey(`a key of type ${KEY_TYPE_NAMES[rawKeyType] ?? rawKeyType}`)];
}

function unsupportedKey(what: string): Finding {
  return error(
    'unsupported-key',
    `the certificate has ${what}; Key Vault accepts only RSA 2048/3072/4096 and EC P-256, P-384, P-521 or P-256K.`,
    `issue a new certificate with a supported key: \`${newClientCsr('rsa:2048')}\`.`,
  );
}

function usageFindings(extendedKeyUsage: string[] | null): Finding[] {
  if (extendedKeyUsage?.includes(CLIENT_AUTH_EKU)) return [];
  const fix = `ask the CA for a client-authentication certificate, or reissue with the EKU: \`${newClientCsr('rsa:2048')}\`.`;
  const message =
    extendedKeyUsage === null
      ? 'the certificate has no Extended Key Usage extension, so it does not name client authentication (1.3.6.1.5.5.7.3.2); backends that require that usage will reject it.'
      : `the certificate's Extended Key Usage (${extendedKeyUsage.join(', ')}) does not include client authentication (1.3.6.1.5.5.7.3.2); backends that check the usage will reject it.`;
  return [warning('no-client-auth-eku', message, fix)];
}
