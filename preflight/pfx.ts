import type { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { error, type Finding } from './findings';
import { exportPfx, reexportPfx, comparePublicKeys, testPfxPassword } from './openssl-commands';
import { certificatesOf, HANDSHAKE_CONTEXT_OPTIONS } from './secure-context-certificates';

// Opens a PFX with the same OpenSSL that Node uses for TLS. OpenSSL only reports why it failed
// through short reason strings ("mac verify failure", ...); this module is where those are
// turned into something a user can act on.

export interface PfxContext {
  file: string;
  password: string | undefined;
  /** Name of the environment variable the password came from; used in messages and commands. */
  passwordEnv: string;
}

export type PfxReadOutcome =
  | { kind: 'opened'; certificates: X509Certificate[]; chainComplete: boolean }
  | { kind: 'failed'; finding: Finding }
  // Not a PKCS#12 structure at all: the caller decides what else the bytes might be.
  | { kind: 'not-pfx' };

type PfxFailure =
  | 'password-rejected'
  | 'legacy-encryption'
  | 'mac-absent'
  | 'no-private-key'
  | 'no-matching-certificate'
  | 'not-pfx'
  | 'unknown';

export async function readPfx(bytes: Buffer, context: PfxContext): Promise<PfxReadOutcome> {
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({ ...HANDSHAKE_CONTEXT_OPTIONS, pfx: bytes, passphrase: context.password });
  } catch (cause) {
    const failure = classifyOpenError(cause);
    if (failure === 'not-pfx') return { kind: 'not-pfx' };
    if (failure === 'password-rejected' && context.password && opensWithoutPassword(bytes)) {
      return { kind: 'failed', finding: unexpectedPasswordFinding(context) };
    }
    return { kind: 'failed', finding: findingFor(failure, context, opensslReason(cause)) };
  }
  // Reaching here proves the key and the certificate belong together: OpenSSL picks the
  // certificate that matches the key while parsing, and Node fails with "Unable to load
  // certificate from PFX data" when none does.
  const { certificates, chainComplete } = await certificatesOf(secureContext);
  return { kind: 'opened', certificates, chainComplete };
}

// A PFX exported without a password fails with the same "mac verify failure" as a wrong
// password; telling the two apart saves a long hunt for a password that does not exist.
function opensWithoutPassword(bytes: Buffer): boolean {
  try {
    tls.createSecureContext({ ...HANDSHAKE_CONTEXT_OPTIONS, pfx: bytes });
    return true;
  } catch {
    return false;
  }
}

function unexpectedPasswordFinding(context: PfxContext): Finding {
  return error(
    'wrong-password',
    `this PFX has no password, but ${context.passwordEnv} holds one; Key Vault would be given a password the file does not have.`,
    `unset ${context.passwordEnv} for this file, or give the file that password: \`${reexportPfx(context.file, context.passwordEnv, { legacy: false, sourceHasNoPassword: true })}\`.`,
  );
}

// Matching is on the messages Node 20 / OpenSSL 3.0 produce (checked in the tests); anything
// unexpected falls through to 'unknown' rather than being guessed at.
function classifyOpenError(cause: unknown): PfxFailure {
  const message = errorMessage(cause);
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  // Without a MAC OpenSSL tries the password on the encrypted contents instead, so a wrong
  // password shows up as a failed decryption.
  if (/mac verify failure|bad decrypt/i.test(message)) return 'password-rejected';
  // The MAC is checked first, so this only appears once the password is right: the contents use
  // an algorithm (RC2-40, from `-legacy` or OpenSSL 1.x) OpenSSL 3 no longer loads.
  if (code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION' || /unsupported/i.test(message)) return 'legacy-encryption';
  if (/mac absent/i.test(message)) return 'mac-absent';
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
    case 'legacy-encryption':
      return error(
        'legacy-encryption',
        'the password is right, but the PFX is encrypted with a legacy algorithm (RC2-40, as written by `openssl pkcs12 -legacy` and by OpenSSL 1.x) that OpenSSL 3 no longer reads.',
        `re-export it with AES: \`${reexportPfx(file, passwordEnv, { legacy: true })}\`.`,
      );
    case 'mac-absent':
      return error(
        'pfx-without-mac',
        'the PFX has no integrity check (MAC); OpenSSL 3.0 (which Node uses) refuses to open a password-protected PFX without one, so nothing in it can be checked, and a damaged file could not be told from a wrong password.',
        `re-export it with a SHA-256 MAC: \`${reexportPfx(file, passwordEnv, { legacy: false })}\`.`,
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
