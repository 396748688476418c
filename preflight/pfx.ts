import type { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { error, warning, type Finding } from './findings';
import { comparePublicKeys, exportPfx, reexportPfx, testPfxPassword } from './openssl-commands';
import { classifyProtection, type PfxProtection } from './pfx-protection';
import { excessiveWork, type ExcessiveWork } from './pfx-iterations';
import { insideEncryptedContents, macVerifies, readPfxStructure } from './pfx-structure';
import { certificatesOf, HANDSHAKE_CONTEXT_OPTIONS } from './secure-context-certificates';

// Judges a PFX in two steps. First its structure (pfx-structure.ts, pfx-protection.ts) decides
// everything that differs between the OpenSSL releases of the supported Node versions: whether it has
// a MAC, which MAC, which ciphers. Only a file whose protection every OpenSSL 3 reads alike is then
// opened with the OpenSSL that Node uses for TLS, for the password and the contents. OpenSSL reports
// why it failed only through short reason strings ("mac verify failure", ...); this module is also
// where those are turned into something a user can act on.

export interface PfxContext {
  file: string;
  password: string | undefined;
  /** Name of the environment variable the password came from; used in messages and commands. */
  passwordEnv: string;
}

export type PfxReadOutcome =
  /** `findings` holds the warnings about the container; the certificates are still to be judged. */
  | { kind: 'opened'; certificates: X509Certificate[]; chainComplete: boolean; findings: Finding[] }
  | { kind: 'failed'; findings: Finding[] }
  // Not a PKCS#12 structure at all: the caller decides what else the bytes might be.
  | { kind: 'not-pfx' };

type PfxFailure = 'password-rejected' | 'unsupported-algorithm' | 'no-private-key' | 'no-matching-certificate' | 'not-pfx' | 'unknown';

type OpenAttempt = { ok: true; secureContext: tls.SecureContext } | { ok: false; failure: PfxFailure; reason: string | undefined };

export async function readPfx(bytes: Buffer, context: PfxContext): Promise<PfxReadOutcome> {
  const structure = readPfxStructure(bytes);
  if (!structure) return { kind: 'not-pfx' };
  // Before anything derives a key from the password: a file may ask for any amount of work.
  const visibleWork = excessiveWork(structure.macIterations, structure.encryptedParts);
  if (visibleWork) return { kind: 'failed', findings: [excessiveWorkFinding(visibleWork, context)] };
  const protection = classifyProtection(structure);
  const findings = protectionFindings(protection, context);
  if (!findings.some((finding) => finding.severity === 'error') && structure.encryptedContents.length > 0) {
    // A key bag inside the encrypted contents shows its own derivation only once they are decrypted,
    // which OpenSSL would then run unbounded: decrypted here first (at the cost just bounded), with the
    // password OpenSSL will be given (none is the empty one to it).
    const hidden = insideEncryptedContents(structure, context.password ?? '');
    const hiddenWork = hidden && excessiveWork(structure.macIterations, [...structure.encryptedParts, ...hidden]);
    if (hiddenWork) return { kind: 'failed', findings: [excessiveWorkFinding(hiddenWork, context)] };
  }

  if (findings.some((finding) => finding.severity === 'error')) {
    // The contents are not opened. The password can still be judged where OpenSSL checks it the same
    // way everywhere, by its HMAC; whether the contents then decrypt is not asked, since that is what
    // depends on the local OpenSSL (its legacy provider).
    if (protection.mac === 'hmac') {
      const passwordProblem = passwordFinding(bytes, context);
      if (passwordProblem) findings.push(passwordProblem);
    }
    return { kind: 'failed', findings };
  }

  if (protection.mac === 'absent') {
    // Nothing in it is encrypted (otherwise pfx-without-mac is an error), so there is no password:
    // OpenSSL 3.0 refuses a MAC-less file when given one and 3.5 ignores it, so none is given.
    if (context.password) return { kind: 'failed', findings: [...findings, unexpectedPasswordFinding(context)] };
  }
  const attempt = open(bytes, protection.mac === 'absent' ? undefined : context.password);
  if (!attempt.ok) {
    if (attempt.failure === 'not-pfx') return { kind: 'not-pfx' };
    const failure = attempt.failure === 'password-rejected' ? passwordFinding(bytes, context) : undefined;
    return { kind: 'failed', findings: [...findings, failure ?? findingFor(attempt.failure, context, attempt.reason)] };
  }
  // Reaching here proves the key and the certificate belong together: OpenSSL picks the
  // certificate that matches the key while parsing, and Node fails with "Unable to load
  // certificate from PFX data" when none does.
  const { certificates, chainComplete } = await certificatesOf(attempt.secureContext);
  return { kind: 'opened', certificates, chainComplete, findings };
}

function open(bytes: Buffer, password: string | undefined): OpenAttempt {
  try {
    return { ok: true, secureContext: tls.createSecureContext({ ...HANDSHAKE_CONTEXT_OPTIONS, pfx: bytes, passphrase: password }) };
  } catch (cause) {
    return { ok: false, failure: classifyOpenError(cause), reason: opensslReason(cause) };
  }
}

/**
 * What is wrong with the password, if anything, judged by the PFX's HMAC alone (pfx-structure.ts,
 * macVerifies): never by OpenSSL, which would decrypt every part, including those the pre-flight refused
 * to open. Undefined where there is no HMAC to judge by.
 */
function passwordFinding(bytes: Buffer, context: PfxContext): Finding | undefined {
  const opensWithoutPassword = () => macVerifies(bytes, null) === true || macVerifies(bytes, '') === true;
  const given = context.password === undefined ? (opensWithoutPassword() ? true : macVerifies(bytes, '')) : macVerifies(bytes, context.password);
  if (given !== false) return undefined;
  // A PFX exported without a password fails with the same "mac verify failure" as a wrong
  // password; telling the two apart saves a long hunt for a password that does not exist.
  if (context.password && opensWithoutPassword()) return unexpectedPasswordFinding(context);
  return findingFor('password-rejected', context, undefined);
}

function protectionFindings(protection: PfxProtection, context: PfxContext): Finding[] {
  const { file, passwordEnv } = context;
  const findings: Finding[] = [];
  const notOpened = 'the pre-flight does not open it, and nothing else in the file was checked';
  const reexportLegacy = `re-export it with AES: \`${reexportPfx(file, passwordEnv, { legacy: true })}\`.`;
  const reexportWithMac = `re-export it with a SHA-256 MAC: \`${reexportPfx(file, passwordEnv, { legacy: false })}\`.`;
  if (protection.legacyCiphers.length > 0) {
    findings.push(
      error(
        'legacy-encryption',
        `the PFX is encrypted with a legacy algorithm (${protection.legacyCiphers.join(', ')}), as written by \`openssl pkcs12 -legacy\` and by OpenSSL 1.x. Key Vault's documentation does not say whether its import accepts it, and OpenSSL 3 reads it only with its optional legacy provider, so ${notOpened}.`,
        reexportLegacy,
      ),
    );
  } else if (protection.otherCiphers.length > 0) {
    findings.push(
      error(
        'legacy-encryption',
        `the PFX is encrypted with ${protection.otherCiphers.join(', ')}, neither AES nor 3DES. Key Vault's documentation names no PFX encryption algorithm, so whether its import accepts this one is not known; ${notOpened}.`,
        reexportLegacy,
      ),
    );
  }
  if (protection.mac === 'other') {
    const why =
      protection.macName === 'PBMAC1'
        ? 'OpenSSL verifies PBMAC1 only from 3.4 on, so Node 20 (OpenSSL 3.0) cannot while Node 22 and 24 can'
        : 'the pre-flight verifies only HMACs with SHA-1 or SHA-2, which every OpenSSL 3 build checks alike';
    findings.push(
      error(
        'unsupported-mac',
        `the PFX's integrity check (MAC) is ${protection.macName}, not an HMAC with SHA-1 or SHA-2. Key Vault's documentation does not say which MAC algorithms its import accepts, and ${why}; for one verdict on every Node, ${notOpened}.`,
        reexportWithMac,
      ),
    );
  }
  if (protection.mac === 'absent') {
    findings.push(
      protection.encrypted
        ? error(
            'pfx-without-mac',
            `the PFX has no integrity check (MAC), so damage to it cannot be detected, and Key Vault's documentation does not say whether its import accepts such a file. OpenSSL 3.0 (Node 20) will not open a password-protected PFX without a MAC while OpenSSL 3.5 (Node 22, 24) will; for one verdict on every Node, ${notOpened}.`,
            reexportWithMac,
          )
        : warning(
            'pfx-without-mac',
            "the PFX has neither a password nor an integrity check (MAC): its private key is stored unprotected, and Key Vault's documentation does not say whether its import accepts a PFX without a MAC.",
            `give it a password and a SHA-256 MAC: \`${reexportPfx(file, passwordEnv, { legacy: false, sourceHasNoPassword: true })}\`.`,
          ),
    );
  }
  return findings;
}

function excessiveWorkFinding(work: ExcessiveWork, context: PfxContext): Finding {
  return error(
    'excessive-iterations',
    `the PFX is not opened: ${work.what}. Exporters write a few thousand (OpenSSL 2,048, Windows 2,000 or 10,000); a count this high makes every step that opens the file (this check, the plan, the rotation review, Key Vault's import) work for minutes, and nothing else in the file was checked.`,
    `export it again from the certificate and its key with the exporter's default count: \`${exportPfx(context.passwordEnv)}\`.`,
  );
}

function unexpectedPasswordFinding(context: PfxContext): Finding {
  return error(
    'wrong-password',
    `this PFX has no password, but ${context.passwordEnv} holds one; Key Vault would be given a password the file does not have.`,
    `unset ${context.passwordEnv} for this file, or give the file that password: \`${reexportPfx(context.file, context.passwordEnv, { legacy: false, sourceHasNoPassword: true })}\`.`,
  );
}

// Matching is on the messages of OpenSSL 3.0 and 3.5 (Node 20, 22, 24; checked in the tests);
// anything unexpected falls through to 'unknown' rather than being guessed at.
function classifyOpenError(cause: unknown): PfxFailure {
  const message = errorMessage(cause);
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (/mac verify failure|bad decrypt/i.test(message)) return 'password-rejected';
  // The structure showed only current ciphers, so this is an algorithm inside the encrypted
  // contents (a key bag that could not be seen without the password).
  if (code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION' || /unsupported/i.test(message)) return 'unsupported-algorithm';
  if (/unable to load private key from pfx/i.test(message)) return 'no-private-key';
  if (/unable to load certificate from pfx|key values mismatch/i.test(message)) return 'no-matching-certificate';
  if (/not enough data|wrong tag|header too long|too long|asn1|decod/i.test(message)) return 'not-pfx';
  return 'unknown';
}

// Duck-typed rather than `instanceof Error`: errors thrown by Node internals come from another
// realm when this runs inside a VM context (Jest), and would fail the instanceof test.
function errorMessage(cause: unknown): string {
  const message = typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : '';
}

// OpenSSL reason strings are fixed library text (never file contents or the password); passing
// on one we did not foresee helps a bug report. The pattern keeps anything longer or more
// structured than such a phrase (hex dumps, paths, stack text) out of the output.
function opensslReason(cause: unknown): string | undefined {
  const message = errorMessage(cause);
  return /^[A-Za-z0-9 ,()_-]{1,80}$/.test(message) ? message : undefined;
}

function findingFor(failure: Exclude<PfxFailure, 'not-pfx'>, context: PfxContext, reason: string | undefined): Finding {
  const { file, passwordEnv } = context;
  const passwordGiven = context.password !== undefined && context.password !== '';
  switch (failure) {
    case 'password-rejected':
      return passwordGiven
        ? error(
            'wrong-password',
            `the password in ${passwordEnv} does not open this PFX (wrong password, or the file is damaged).`,
            `set ${passwordEnv} to the password the file was exported with (test it with \`${testPfxPassword(file, passwordEnv)}\`); if the file has no password, unset ${passwordEnv}.`,
          )
        : error(
            'missing-password',
            `this PFX is protected by a password, but ${passwordEnv} is not set or empty.`,
            `put the password in the environment without typing it on the command line: \`read -rs ${passwordEnv} && export ${passwordEnv}\`, then run again.`,
          );
    case 'unsupported-algorithm':
      return error(
        'legacy-encryption',
        'the password is right, but a part inside the encrypted PFX uses an algorithm the OpenSSL in this Node does not read (a legacy cipher such as RC2 or DES).',
        `re-export it with AES: \`${reexportPfx(file, passwordEnv, { legacy: true })}\`.`,
      );
    case 'no-private-key':
      return error(
        'no-private-key',
        'the PFX holds a certificate but no private key; API Management needs the key to present the client certificate.',
        `export the certificate together with its key: \`${exportPfx(passwordEnv)}\`.`,
      );
    case 'no-matching-certificate':
      return error(
        'key-mismatch',
        'the PFX holds a private key but no certificate that belongs to it (the key is for another certificate, or the certificate is missing).',
        `export the key with its own certificate: \`${exportPfx(passwordEnv)}\`; to find the pair, ${comparePublicKeys()}.`,
      );
    case 'unknown':
      return error(
        'pfx-unreadable',
        `OpenSSL could not open this PFX${reason ? ` (${reason})` : ''}.`,
        `check it with \`${testPfxPassword(file, passwordEnv)}\`; if that works, re-export it: \`${reexportPfx(file, passwordEnv, { legacy: false })}\`.`,
      );
  }
}
