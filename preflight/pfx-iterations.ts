import type { EncryptedPart } from './pfx-structure';

// How much work a PFX may ask of whoever opens it. Each key derivation in the file (the MAC key's, and
// one per encrypted part) runs as many hash iterations as the file itself says, so a 2.5 KB file that
// asks for 2^31 iterations keeps cert:check, the plan and the rotation review busy for minutes (each opens
// it, some more than once). Exporters ask for a few thousand: OpenSSL writes 2,048 (PKCS12_DEFAULT_ITER),
// Windows 2,000 ("TripleDES-SHA1") or 10,000 ("AES256-SHA256"). The highest published recommendation is
// OWASP's 600,000 for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet), meant for stored password hashes;
// a PFX under it is still well within the bounds below, which only refuse files no exporter writes.

/** Iterations one key derivation may ask for: above OWASP's 600,000 with room to spare. */
export const MAX_ITERATIONS_PER_DERIVATION = 1_000_000;
/** Iterations the whole file may ask for: the MAC, the certificates and the key, each at the maximum. */
export const MAX_ITERATIONS_PER_FILE = 3 * MAX_ITERATIONS_PER_DERIVATION;

export interface ExcessiveWork {
  /** What asks for too much, e.g. "the MAC asks for 2147483647 iterations". */
  readonly what: string;
}

/** The first derivation (or the sum) above its bound; undefined when the file's work is within bounds. */
export function excessiveWork(macIterations: number | null, parts: readonly EncryptedPart[]): ExcessiveWork | undefined {
  const derivations = [
    ...(macIterations === null ? [] : [{ name: 'the MAC', iterations: macIterations }]),
    ...parts.filter((p) => p.iterations !== undefined).map((p) => ({ name: p.part === 'key' ? 'a private key bag' : 'the encrypted certificates', iterations: p.iterations! })),
  ];
  for (const { name, iterations } of derivations) {
    if (!Number.isSafeInteger(iterations) || iterations > MAX_ITERATIONS_PER_DERIVATION) {
      return { what: `${name} asks for ${iterations} iterations of its key derivation (at most ${MAX_ITERATIONS_PER_DERIVATION.toLocaleString('en-US')} per derivation)` };
    }
  }
  const total = derivations.reduce((sum, d) => sum + d.iterations, 0);
  if (total > MAX_ITERATIONS_PER_FILE) {
    return { what: `its ${derivations.length} key derivations ask for ${total} iterations together (at most ${MAX_ITERATIONS_PER_FILE.toLocaleString('en-US')} per file)` };
  }
  return undefined;
}
