// The repair commands we hand to users. They are written for OpenSSL 3 and always take the
// password from an environment variable (`-passin env:NAME`), never from the command line, so
// following our advice does not put a password into shell history or `ps` output.

const SAFE_SHELL_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/;
// PowerShell reads @ , ; ( ) { } $ ` and more as syntax even unquoted: only plain words stay bare.
const SAFE_POWERSHELL_WORD = /^[A-Za-z0-9_./:\\-]+$/;

/**
 * Quotes a word for the shell the user types the command into, only when needed, so simple paths stay easy
 * to read: a POSIX shell on Linux and macOS, PowerShell on Windows (single quotes, a quote doubled).
 */
export function shellQuote(word: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return SAFE_POWERSHELL_WORD.test(word) ? word : `'${word.replace(/'/g, "''")}'`;
  if (SAFE_SHELL_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function withoutExtension(path: string): string {
  return path.replace(/\.(pfx|p12|pem|crt|cer|der|txt|b64)$/i, '');
}

// AES-256 with a SHA-256 MAC: what this project's own PEM-to-PFX step exports, what every OpenSSL 3
// reads without its legacy provider, and a protection the pre-flight fully checks (pfx-protection.ts
// says what Microsoft does and does not document). The one target format we steer everything towards.
const MODERN_PFX_OPTIONS = '-certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256';

/**
 * Re-exports an existing PFX in the modern format. The intermediate PEM keeps the key encrypted
 * with the same password (no `-nodes`), so no plain key ever touches the disk, and it is removed
 * at the end.
 */
export function reexportPfx(file: string, passwordEnv: string, options: { legacy: boolean; sourceHasNoPassword?: boolean }): string {
  const base = withoutExtension(file);
  const temporary = shellQuote(`${base}.tmp.pem`);
  const output = shellQuote(`${base}.aes.pfx`);
  const pass = `-passin env:${passwordEnv} -passout env:${passwordEnv}`;
  // An empty password is no secret, so it may appear on the command line.
  const readPass = options.sourceHasNoPassword ? `-passin pass: -passout env:${passwordEnv}` : pass;
  const legacy = options.legacy ? ' -legacy' : '';
  return (
    `openssl pkcs12${legacy} -in ${shellQuote(file)} ${readPass} -out ${temporary}` +
    ` && openssl pkcs12 -export -in ${temporary} ${pass} ${MODERN_PFX_OPTIONS} -out ${output}` +
    ` && rm ${temporary}`
  );
}

export function exportPfx(passwordEnv: string): string {
  return `openssl pkcs12 -export -in cert.pem -inkey key.pem -out client.pfx -passout env:${passwordEnv} ${MODERN_PFX_OPTIONS}`;
}

export function testPfxPassword(file: string, passwordEnv: string): string {
  return `openssl pkcs12 -in ${shellQuote(file)} -noout -passin env:${passwordEnv}`;
}

export function listPfxCertificates(file: string, passwordEnv: string): string {
  return `openssl pkcs12 -in ${shellQuote(file)} -nokeys -passin env:${passwordEnv}`;
}

export function convertKeyToPkcs8(file: string, options: { encrypted: boolean; passwordEnv: string }): string {
  const passin = options.encrypted ? ` -passin env:${options.passwordEnv}` : '';
  return `openssl pkcs8 -topk8 -nocrypt -in ${shellQuote(file)}${passin} -out key.pk8.pem`;
}

export function comparePublicKeys(): string {
  return '`openssl x509 -in cert.pem -noout -pubkey | openssl sha256` and `openssl pkey -in key.pem -pubout | openssl sha256` must print the same hash';
}

export function derCertificateToPem(file: string): string {
  return `openssl x509 -inform DER -in ${shellQuote(file)} -out cert.pem`;
}

/** `-A` because a single-line blob (as Key Vault and most APIs return it) is not read without it. */
export function decodeBase64(file: string, singleLine: boolean): string {
  const oneLine = singleLine ? ' -A' : '';
  return `openssl base64 -d${oneLine} -in ${shellQuote(file)} -out ${shellQuote(`${withoutExtension(file)}.pfx`)}`;
}

/** A new key and CSR for the issuing CA; the key gets a passphrase because no `-nodes` is given. */
export function newClientCsr(keySpec: string): string {
  return `openssl req -new -newkey ${keySpec} -keyout client.key -out client.csr -addext extendedKeyUsage=clientAuth`;
}

export function convertUtf16ToUtf8(file: string): string {
  return `iconv -f UTF-16 -t UTF-8 ${shellQuote(file)} > ${shellQuote(`${withoutExtension(file)}.utf8.pem`)}`;
}

export function stripCarriageReturns(file: string): string {
  return `sed -i 's/\\r$//' ${shellQuote(file)}`;
}
