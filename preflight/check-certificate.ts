import { createPrivateKey, X509Certificate } from 'node:crypto';
import { detectContentFormat, isSingleLine, startsLikeDer } from './content-format';
import {
  error,
  hasErrors,
  sortFindings,
  warning,
  type CertificateCheckResult,
  type CertificateDetails,
  type ContainerFormat,
  type Finding,
} from './findings';
import { inspectCertificate } from './inspect-certificate';
import { convertUtf16ToUtf8, decodeBase64, derCertificateToPem, exportPfx, listPfxCertificates, shellQuote } from './openssl-commands';
import { readPem, type PemContext } from './pem';
import { readPfx, type PfxContext } from './pfx';
import { readInput } from './read-input';

// The single entry point for certificate pre-flight checks: `npm run cert:check` and
// `npm run synth -- --check-certs` both call checkCertificate and print formatFindings, so a
// certificate is judged the same way wherever it is checked. It never throws for a bad file:
// every problem, including file-system errors, comes back as a finding.

export type { CertificateCheckResult, CertificateDetails, Finding, FindingCode, Severity } from './findings';
import { printable, printablePath } from '../text/printable';

export { formatDetails, formatFindings, formatReport } from './format-report';

export const DEFAULT_PASSWORD_ENV = 'CERT_PASSWORD';
export const DEFAULT_WARN_DAYS = 30;

export interface CertificateCheckInput {
  path: string;
  /**
   * The path as the bytes the user gave, when they are not valid UTF-8 (a Linux file name may be any
   * bytes; `path` then holds U+FFFD where they were): the file is opened by these.
   */
  pathBytes?: Buffer;
  /**
   * The file's bytes, when the caller has read them already: judged as they are, so that what the
   * pre-flight checked is exactly what goes on to Terraform (no second read of a path that may change).
   */
  bytes?: Buffer;
  /** The PFX password or PEM key passphrase. Used to open the file and never copied into the result. */
  password?: string;
  /** Where the password came from, named in messages and in the repair commands (`-passin env:NAME`). */
  passwordEnv?: string;
  /** Forces a format; by default PEM is recognised by `-----BEGIN` and anything else is read as PFX. */
  format?: 'pfx' | 'pem';
  /** Warn when the certificate expires within this many days. */
  warnDays?: number;
  /** The moment to judge validity against; tests and "will it still be valid at go-live?" checks set it. */
  now?: Date;
}

type ReaderContext = PfxContext & PemContext;

interface ContainerReading {
  findings: Finding[];
  leaf?: X509Certificate;
  format: ContainerFormat;
  hasPrivateKey: boolean;
  chainLength: number | null;
}

export async function checkCertificate(input: CertificateCheckInput): Promise<CertificateCheckResult> {
  try {
    return await checkOrThrow(input);
  } catch {
    // Every expected problem is already a finding, so this is a bug in the checker. The error is
    // dropped on purpose: Node's messages can quote the data that was being parsed.
    const shown = displayName(input);
    return result(shown, [
      error(
        'check-failed',
        'the checker failed unexpectedly on this file, so it was not verified.',
        `inspect it by hand (\`${listPfxCertificates(shown, input.passwordEnv ?? DEFAULT_PASSWORD_ENV)}\` for a PFX, \`openssl x509 -in ${shellQuote(shown)} -text -noout\` for PEM) and report the failure.`,
      ),
    ]);
  }
}

/**
 * The file's name as it may be printed: a newline, U+202E or `##vso[` in a name must not reach a log as
 * anything but visible escapes, and bytes that are not UTF-8 show as \xNN.
 */
function displayName(input: CertificateCheckInput): string {
  return input.pathBytes ? printablePath(input.pathBytes) : printable(input.path);
}

async function checkOrThrow(input: CertificateCheckInput): Promise<CertificateCheckResult> {
  const file = displayName(input);
  const passwordEnv = input.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const read = input.bytes ? ({ kind: 'read', bytes: input.bytes } as const) : await readInput(input.pathBytes ?? input.path);
  if (read.kind === 'failed') return result(file, [read.finding]);
  const { bytes } = read;
  if (bytes.length === 0) {
    return result(file, [error('empty-file', 'the file is empty (0 bytes).', 'copy or export the certificate again; an interrupted download or a failed `>` redirection leaves an empty file.')]);
  }

  const context: ReaderContext = { file, password: input.password, passwordEnv };
  const detected = detectContentFormat(bytes);
  if (detected === 'base64-text') {
    return result(file, [
      error(
        'base64-text',
        'the file holds base64 text of a PFX, not the PFX itself (as copied from Key Vault, a pipeline variable or an API).',
        `decode it: \`${decodeBase64(file, isSingleLine(bytes))}\`, then check the .pfx.`,
      ),
    ]);
  }
  if (detected === 'utf16-text') {
    return result(file, [
      error(
        'utf16-text',
        'the file is UTF-16 text (as Windows PowerShell\'s `>` and Out-File write it); OpenSSL, Key Vault and Terraform expect PEM as ASCII/UTF-8.',
        `convert it: \`${convertUtf16ToUtf8(file)}\` (or in PowerShell: \`Get-Content in.pem | Set-Content -Encoding ascii out.pem\`).`,
      ),
    ]);
  }
  const expected = input.format;
  const actual = detected === 'pem' ? 'pem' : 'pfx';
  if (expected !== undefined && expected !== actual) {
    return result(file, [
      error(
        'wrong-format',
        expected === 'pfx' ? 'a PFX was expected, but the file is PEM text.' : 'a PEM file was expected, but the file is binary (PFX or DER).',
        'point the configuration at the right file, or change its format setting to match the file.',
      ),
    ]);
  }

  const reading = actual === 'pem' ? readPemContainer(bytes, context) : await readBinaryContainer(bytes, context);
  const findings = [...reading.findings];
  let details: CertificateDetails | undefined;
  if (reading.leaf) {
    const inspection = inspectCertificate(reading.leaf, {
      format: reading.format,
      hasPrivateKey: reading.hasPrivateKey,
      chainLength: reading.chainLength,
      now: input.now ?? new Date(),
      warnDays: input.warnDays ?? DEFAULT_WARN_DAYS,
    });
    details = inspection.details;
    findings.push(...inspection.findings);
  }
  return result(file, findings, details);
}

function result(file: string, findings: Finding[], details?: CertificateDetails): CertificateCheckResult {
  return { file, ok: !hasErrors(findings), findings: sortFindings(findings), ...(details ? { details } : {}) };
}

function readPemContainer(bytes: Buffer, context: ReaderContext): ContainerReading {
  const pem = readPem(bytes.toString('utf8'), context);
  return {
    findings: pem.findings,
    leaf: pem.leaf,
    format: 'pem',
    hasPrivateKey: pem.hasPrivateKey,
    chainLength: pem.certificates.length,
  };
}

async function readBinaryContainer(bytes: Buffer, context: ReaderContext): Promise<ContainerReading> {
  const pfx = await readPfx(bytes, context);
  if (pfx.kind === 'opened') {
    const [leaf] = pfx.certificates;
    const findings: Finding[] = [...pfx.findings];
    if (!leaf) {
      // OpenSSL accepted the file, so this would be a bug in reading it back; never report it as usable.
      findings.push(error('pfx-unreadable', 'the PFX opened, but its certificate could not be read back.', `inspect it with \`${listPfxCertificates(context.file, context.passwordEnv)}\`.`));
      return { findings, format: 'pfx', hasPrivateKey: true, chainLength: null };
    }
    if (!pfx.chainComplete) {
      // Rare (only seen with key types TLS cannot sign with); the leaf is still fully checked.
      findings.push(
        warning(
          'chain-not-read',
          'the chain certificates in this PFX could not be read, only the client certificate; the chain was not counted.',
          `list them with \`${listPfxCertificates(context.file, context.passwordEnv)}\`.`,
        ),
      );
    }
    return { findings, leaf, format: 'pfx', hasPrivateKey: true, chainLength: pfx.chainComplete ? pfx.certificates.length : null };
  }
  if (pfx.kind === 'failed') return { findings: pfx.findings, format: 'pfx', hasPrivateKey: false, chainLength: null };
  return identifyNonPfx(bytes, context.file, context.passwordEnv);
}

// Binary but not PKCS#12: the common mix-ups are a bare DER certificate (.cer from a CA portal)
// or a bare DER key, each only half of what APIM needs. Telling the user which half they have
// is more useful than "not a PFX".
function identifyNonPfx(bytes: Buffer, file: string, passwordEnv: string): ContainerReading {
  try {
    const leaf = new X509Certificate(bytes);
    return {
      findings: [
        error(
          'no-private-key',
          'this is a single DER certificate (.cer/.crt) without its private key; API Management needs certificate and key together in a PFX.',
          `convert it with \`${derCertificateToPem(file)}\`, then \`${exportPfx(passwordEnv)}\`.`,
        ),
      ],
      leaf,
      format: 'der',
      hasPrivateKey: false,
      chainLength: 1,
    };
  } catch {
    // Not a certificate either; try a key next.
  }
  try {
    createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
    return {
      findings: [error('no-certificate', 'this is a bare DER private key, without its certificate.', `export key and certificate together: \`${exportPfx(passwordEnv)}\`.`)],
      format: 'der',
      hasPrivateKey: true,
      chainLength: null,
    };
  } catch {
    // Neither; fall through to the generic verdict.
  }
  const finding = startsLikeDer(bytes)
    ? error(
        'truncated-file',
        'the file starts like a PFX but is incomplete or damaged (cut-off download, or copied as text instead of binary).',
        'export or download the PFX again and copy it as a binary file (e.g. `az keyvault secret download --encoding base64` for a Key Vault secret).',
      )
    : error('not-a-certificate', 'the file is neither a PFX/PKCS#12 nor a PEM certificate.', 'check the path; a client certificate is a .pfx/.p12 file or a PEM file with -----BEGIN CERTIFICATE-----.');
  return { findings: [finding], format: 'pfx', hasPrivateKey: false, chainLength: null };
}
