// The vocabulary shared by every pre-flight check: what a problem looks like, what a usable
// certificate's summary looks like, and the result one file produces. The CLI prints these and
// `synth --check-certs` will print the same, so the shapes are the public contract (also the
// --json output): only add fields, never rename them.

export type Severity = 'error' | 'warning';

// Stable identifiers: scripts and tests match on these, never on the wording of a message.
export type FindingCode =
  // the path itself
  | 'missing-path'
  | 'is-directory'
  | 'not-a-regular-file'
  | 'unreadable-path'
  | 'empty-file'
  | 'file-too-large'
  // what the bytes are
  | 'not-a-certificate'
  | 'truncated-file'
  | 'base64-text'
  | 'utf16-text'
  | 'wrong-format'
  // opening a PFX
  | 'missing-password'
  | 'wrong-password'
  | 'legacy-encryption'
  | 'pfx-without-mac'
  | 'unsupported-mac'
  | 'excessive-iterations'
  | 'pfx-unreadable'
  | 'chain-not-read'
  // what the file holds
  | 'no-private-key'
  | 'no-certificate'
  | 'key-mismatch'
  | 'multiple-private-keys'
  | 'damaged-pem-block'
  | 'pem-key-encrypted'
  | 'pem-key-not-pkcs8'
  | 'ignored-pem-block'
  | 'crlf-line-endings'
  // the certificate itself
  | 'expired'
  | 'not-yet-valid'
  | 'expires-soon'
  | 'rsa-key-too-small'
  | 'unsupported-key'
  | 'ec-key'
  | 'no-client-auth-eku'
  // the checker itself
  | 'check-failed';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  /** What is wrong, in the user's words, without the file name (the formatter adds it). */
  message: string;
  /** How to fix it; carries the exact command where one helps. */
  fix: string;
}

export type ContainerFormat = 'pfx' | 'pem' | 'der';

export interface CertificateDetails {
  format: ContainerFormat;
  subject: string;
  issuer: string;
  /** SHA-1, uppercase hex without colons: the form the Azure portal and `az` show, so users can compare by eye. */
  thumbprint: string;
  serialNumber: string;
  /** ISO 8601, UTC. */
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter at the time of the check; negative once expired. */
  daysLeft: number;
  /** 'RSA', 'EC', 'Ed25519', ... */
  keyType: string;
  /** RSA modulus length in bits. */
  keySize?: number;
  /** EC curve in Key Vault's naming (P-256, P-384, P-521, P-256K) when it has one, otherwise OpenSSL's name. */
  curve?: string;
  clientAuthEku: boolean;
  /** The EKU OIDs the certificate lists; null when it has no Extended Key Usage extension at all. */
  extendedKeyUsage: string[] | null;
  hasPrivateKey: boolean;
  /** Certificates in the chain, leaf included; null when it could not be counted (see the findings). */
  chainLength: number | null;
}

export interface CertificateCheckResult {
  /** The path as the caller gave it, so messages point at what the user typed. */
  file: string;
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  findings: Finding[];
  /** Present whenever a certificate could be read, even if the file has errors (e.g. expired). */
  details?: CertificateDetails;
}

export function error(code: FindingCode, message: string, fix: string): Finding {
  return { severity: 'error', code, message, fix };
}

export function warning(code: FindingCode, message: string, fix: string): Finding {
  return { severity: 'warning', code, message, fix };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}

// Errors first: they decide whether the file is usable, and a reader skimming the output should
// meet them before the advice.
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (finding: Finding): number => (finding.severity === 'error' ? 0 : 1);
  return [...findings].sort((a, b) => rank(a) - rank(b));
}
