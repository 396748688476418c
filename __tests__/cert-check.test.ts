import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tls from 'node:tls';
import {
  checkCertificate,
  formatFindings,
  formatReport,
  type CertificateCheckInput,
  type CertificateCheckResult,
  type CertificateDetails,
  type FindingCode,
} from '../preflight/check-certificate';
import { parseCliArgs } from '../preflight/cli-args';
import { readPfxStructure } from '../preflight/pfx-structure';
import { buildCertificateFixtures, hasOpenssl, PASSWORD_ENV, type CertificateFixtures, type FixtureName } from './support/certificate-fixtures';
import { runCertCheckCli, type CliRun } from './support/run-cert-check-cli';
import { describeWith } from './support/required-tools';

// Every case needs real certificates made by the `openssl` CLI. Where it is not installed the
// suite is skipped rather than failed: the checker itself only needs Node, but without openssl
// there is nothing honest to check it against.
const describeIfOpenssl = describeWith(hasOpenssl, 'openssl (to make the certificates)');
if (!hasOpenssl) {
  console.warn('cert-check tests skipped: the `openssl` command is not installed, and the test certificates are generated with it.');
}

const DAY_MS = 24 * 60 * 60 * 1000;

describeIfOpenssl('certificate pre-flight', () => {
  let fixtures: CertificateFixtures;
  // Everything any check printed or returned, to prove at the end that no secret escaped.
  const outputs: string[] = [];

  beforeAll(async () => {
    fixtures = await buildCertificateFixtures();
  }, 60_000);

  afterAll(async () => {
    await fixtures?.cleanup();
  });

  type PasswordChoice = 'right' | 'none' | 'wrong';

  async function check(file: FixtureName, password: PasswordChoice = 'right', extra: Partial<CertificateCheckInput> = {}): Promise<CertificateCheckResult> {
    const passwords: Record<PasswordChoice, string | undefined> = {
      right: fixtures.password,
      none: undefined,
      wrong: `${fixtures.password}-but-wrong`,
    };
    const result = await checkCertificate({ path: fixtures.files[file], password: passwords[password], ...extra });
    outputs.push(JSON.stringify(result), formatReport([result]));
    return result;
  }

  const codes = (result: CertificateCheckResult): FindingCode[] => result.findings.map((finding) => finding.code).sort();
  const findingOf = (result: CertificateCheckResult, code: FindingCode) => {
    const finding = result.findings.find((candidate) => candidate.code === code);
    if (!finding) throw new Error(`no ${code} finding in ${JSON.stringify(result.findings)}`);
    return finding;
  };
  /** The first command in backticks of a fix, run the way a user would paste it. */
  const commandIn = (fix: string): string => {
    const match = /`([^`]+)`/.exec(fix);
    if (!match) throw new Error(`no command in fix: ${fix}`);
    return match[1];
  };
  const runInShell = (command: string): Promise<void> =>
    new Promise((resolve, reject) => {
      execFile('sh', ['-c', command], { cwd: fixtures.dir, env: { ...process.env, [PASSWORD_ENV]: fixtures.password } }, (failure, _stdout, stderr) =>
        failure ? reject(new Error(`${command} failed: ${stderr}`)) : resolve(),
      );
    });

  interface MatrixCase {
    title: string;
    file: FixtureName;
    password?: PasswordChoice;
    ok: boolean;
    /** The exact set of findings: an unexpected extra warning is a failure too. */
    codes: FindingCode[];
    message?: RegExp;
    fix?: RegExp;
    details?: Partial<CertificateDetails>;
  }

  const matrix: MatrixCase[] = [
    { title: 'OpenSSL 3 default PFX', file: 'defaultPfx', ok: true, codes: [], details: { format: 'pfx', keyType: 'RSA', keySize: 2048, clientAuthEku: true, chainLength: 1, hasPrivateKey: true, serialNumber: 'C11E47' } },
    { title: 'PFX with the CA in its chain', file: 'chainPfx', ok: true, codes: [], details: { chainLength: 2, issuer: 'CN=Cert Check Test CA' } },
    { title: '3DES PFX (the cipher Windows exports and App Service names)', file: 'tripleDesPfx', ok: true, codes: [] },
    {
      title: 'legacy RC2-40 PFX',
      file: 'legacyPfx',
      ok: false,
      codes: ['legacy-encryption'],
      message: /legacy algorithm \(RC2-40/,
      fix: /openssl pkcs12 -legacy -in .*legacy\.pfx -passin env:CERT_PASSWORD.* -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256/,
    },
    // The cipher is read from the structure, so it is named whatever the password; the password is judged by the MAC.
    { title: 'legacy PFX with a wrong password', file: 'legacyPfx', password: 'wrong', ok: false, codes: ['legacy-encryption', 'wrong-password'] },
    { title: 'legacy PFX without a password', file: 'legacyPfx', password: 'none', ok: false, codes: ['legacy-encryption', 'missing-password'] },
    { title: 'single-DES PFX (PBES2)', file: 'desPfx', ok: false, codes: ['legacy-encryption'], message: /legacy algorithm \(DES-CBC \(PBES2\)\)/, fix: /openssl pkcs12 -legacy -in .*des\.pfx/ },
    {
      title: 'Camellia PFX (readable by OpenSSL, named by no Microsoft document)',
      file: 'camelliaPfx',
      ok: false,
      codes: ['legacy-encryption'],
      message: /CAMELLIA-256-CBC \(PBES2\), neither AES nor 3DES\. Key Vault's documentation names no PFX encryption algorithm/,
    },
    { title: 'PFX without a password, none given', file: 'emptyPasswordPfx', password: 'none', ok: true, codes: [] },
    { title: 'PFX without a password, but one given', file: 'emptyPasswordPfx', ok: false, codes: ['wrong-password'], message: /has no password, but CERT_PASSWORD holds one/, fix: /-passin pass: -passout env:CERT_PASSWORD/ },
    // OpenSSL 3.0 (Node 20) refuses these with a password and OpenSSL 3.5 (Node 22/24) opens them: the verdict comes from the structure.
    { title: 'PFX without MAC', file: 'noMacPfx', ok: false, codes: ['pfx-without-mac'], message: /no integrity check \(MAC\).*Key Vault's documentation does not say/, fix: /-macalg sha256/ },
    { title: 'PFX without MAC, wrong password', file: 'noMacPfx', password: 'wrong', ok: false, codes: ['pfx-without-mac'] },
    { title: 'PFX without MAC, no password given', file: 'noMacPfx', password: 'none', ok: false, codes: ['pfx-without-mac'] },
    {
      title: 'PFX with neither encryption nor MAC, no password given',
      file: 'unprotectedNoMacPfx',
      password: 'none',
      ok: true,
      codes: ['pfx-without-mac'],
      message: /neither a password nor an integrity check \(MAC\)/,
      fix: /-passin pass: -passout env:CERT_PASSWORD/,
      details: { format: 'pfx', hasPrivateKey: true, serialNumber: 'C11E47' },
    },
    { title: 'PFX with neither encryption nor MAC, but a password given', file: 'unprotectedNoMacPfx', ok: false, codes: ['pfx-without-mac', 'wrong-password'], message: /has no password, but CERT_PASSWORD holds one/ },
    { title: 'PFX with a PBMAC1 MAC (OpenSSL 3.4+)', file: 'pbmac1Pfx', ok: false, codes: ['unsupported-mac'], message: /is PBMAC1, .*Node 20 \(OpenSSL 3\.0\) cannot/, fix: /-macalg sha256/ },
    { title: 'PFX with an MD5 MAC', file: 'md5MacPfx', ok: false, codes: ['unsupported-mac'], message: /is MD5, not an HMAC with SHA-1 or SHA-2/ },
    { title: 'PFX with a certificate but no key', file: 'certOnlyPfx', ok: false, codes: ['no-private-key'], message: /no private key/, fix: /openssl pkcs12 -export -in cert\.pem -inkey key\.pem/ },
    { title: 'PFX whose key belongs to another certificate', file: 'keyMismatchPfx', ok: false, codes: ['key-mismatch'], fix: /openssl pkey -in key\.pem -pubout \| openssl sha256/ },
    { title: 'wrong password', file: 'defaultPfx', password: 'wrong', ok: false, codes: ['wrong-password'], message: /password in CERT_PASSWORD does not open/, fix: /openssl pkcs12 -in .*default\.pfx -noout -passin env:CERT_PASSWORD/ },
    { title: 'missing password', file: 'defaultPfx', password: 'none', ok: false, codes: ['missing-password'], message: /protected by a password, but CERT_PASSWORD is not set/, fix: /read -rs CERT_PASSWORD/ },
    { title: 'really expired certificate (openssl ca -enddate 2021)', file: 'expiredPfx', ok: false, codes: ['expired'], message: /expired on 2021-01-01 00:00 UTC/, details: { notAfter: '2021-01-01T00:00:00.000Z' } },
    { title: 'really not-yet-valid certificate (openssl ca -startdate 2040)', file: 'notYetValidPem', ok: false, codes: ['not-yet-valid'], message: /not valid before 2040-01-01 00:00 UTC/ },
    { title: 'certificate expiring in 5 days', file: 'expiringSoonPfx', ok: true, codes: ['expires-soon'], message: /in 4 day\(s\)|in 5 day\(s\)/ },
    { title: 'RSA 1024 key', file: 'rsa1024Pfx', ok: false, codes: ['rsa-key-too-small'], message: /1024 bits/, fix: /rsa:2048/, details: { keySize: 1024 } },
    { title: 'EC P-256 key', file: 'ecP256Pfx', ok: true, codes: ['ec-key'], message: /EC \(P-256\).*RSA is advised/, details: { keyType: 'EC', curve: 'P-256' } },
    { title: 'Ed25519 key (not accepted by Key Vault)', file: 'ed25519Pfx', ok: false, codes: ['unsupported-key'], message: /Ed25519.*RSA 2048\/3072\/4096/ },
    { title: 'certificate for server authentication only', file: 'serverAuthPfx', ok: true, codes: ['no-client-auth-eku'], message: /1\.3\.6\.1\.5\.5\.7\.3\.1.*does not include client authentication/, details: { clientAuthEku: false } },
    { title: 'PEM bundle: certificate, CA and PKCS#8 key', file: 'bundlePem', ok: true, codes: [], details: { format: 'pem', chainLength: 2, hasPrivateKey: true } },
    { title: 'PEM with an encrypted PKCS#8 key', file: 'encryptedKeyPem', ok: false, codes: ['pem-key-encrypted'], fix: /openssl pkcs8 -topk8 -nocrypt -in .*encrypted-key\.pem -passin env:CERT_PASSWORD -out key\.pk8\.pem/ },
    { title: 'PEM with an encrypted key and no password', file: 'encryptedKeyPem', password: 'none', ok: false, codes: ['pem-key-encrypted'] },
    { title: 'PEM with a PKCS#1 key', file: 'pkcs1KeyPem', ok: false, codes: ['pem-key-not-pkcs8'], message: /PKCS#1 \(BEGIN RSA PRIVATE KEY\)/, fix: /openssl pkcs8 -topk8 -nocrypt -in .*pkcs1-key\.pem -out key\.pk8\.pem/ },
    // The details then describe the file's first certificate, the CA's, which has no EKU.
    { title: 'PEM whose key belongs to another certificate', file: 'keyMismatchPem', ok: false, codes: ['key-mismatch', 'no-client-auth-eku'], details: { subject: 'CN=Cert Check Test CA' } },
    { title: 'PEM with CRLF line endings', file: 'crlfPem', ok: true, codes: ['crlf-line-endings'], fix: /sed -i 's\/\\r\$\/\/'/ },
    { title: 'PEM saved as UTF-16 (PowerShell)', file: 'utf16Pem', ok: false, codes: ['utf16-text'], fix: /iconv -f UTF-16 -t UTF-8/ },
    { title: 'PEM cut off inside the key', file: 'truncatedPem', ok: false, codes: ['truncated-file'], message: /"PRIVATE KEY" block starts with -----BEGIN but never ends/ },
    { title: 'PEM with only a key', file: 'keyOnlyPem', ok: false, codes: ['no-certificate'] },
    { title: 'PEM with a certificate request instead of a certificate', file: 'csrPem', ok: false, codes: ['not-a-certificate'], message: /certificate request/ },
    { title: 'truncated PFX', file: 'truncatedPfx', ok: false, codes: ['truncated-file'], message: /incomplete or damaged/ },
    { title: 'base64 text of a PFX', file: 'base64Pfx', ok: false, codes: ['base64-text'], fix: /openssl base64 -d -A -in .*base64\.txt -out .*base64\.pfx/ },
    { title: 'bare DER certificate', file: 'derCertificate', ok: false, codes: ['no-private-key'], message: /single DER certificate/, details: { format: 'der', hasPrivateKey: false } },
    { title: 'random bytes', file: 'randomBytes', ok: false, codes: ['not-a-certificate'] },
    { title: 'empty file', file: 'emptyFile', ok: false, codes: ['empty-file'] },
    { title: 'a directory', file: 'directory', ok: false, codes: ['is-directory'] },
    { title: 'a path that does not exist', file: 'missingPath', ok: false, codes: ['missing-path'] },
  ];

  describe('the library names each problem and its fix', () => {
    test.each(matrix)('$title', async ({ file, password, ok, codes: expectedCodes, message, fix, details }) => {
      const result = await check(file, password);
      expect(codes(result)).toEqual([...expectedCodes].sort());
      expect(result.ok).toBe(ok);
      expect(result.file).toBe(fixtures.files[file]);
      if (message) expect(result.findings.map((finding) => finding.message).join('\n')).toMatch(message);
      if (fix) expect(result.findings.map((finding) => finding.fix).join('\n')).toMatch(fix);
      if (details) expect(result.details).toMatchObject(details);
      // Every problem is one line that names the file and says how to fix it.
      for (const line of formatFindings(result)) {
        expect(line).not.toContain('\n');
        expect(line.startsWith(`${fixtures.files[file]}: `)).toBe(true);
        expect(line).toMatch(/: (error|warning): .+ Fix: .+/);
      }
    });
  });

  describe('certificate details', () => {
    test('match what openssl reports for the same certificate', async () => {
      const { details } = await check('chainPfx');
      expect(details?.thumbprint).toBe(fixtures.leafThumbprint);
      expect(details?.thumbprint).toMatch(/^[0-9A-F]{40}$/);
      expect(details?.subject).toBe('CN=client.cert-check.test, O=Cert Check');
      const serial = await fixtures.openssl(['x509', '-in', 'client.crt', '-noout', '-serial']);
      expect(details?.serialNumber).toBe(serial.trim().replace(/^serial=/, ''));
      expect(details?.daysLeft).toBeGreaterThanOrEqual(364);
      expect(details?.daysLeft).toBeLessThanOrEqual(365);
    });

    test('are the same whether the certificate comes as PFX, PEM or DER', async () => {
      const [pfx, pem, der] = await Promise.all([check('defaultPfx'), check('bundlePem'), check('derCertificate')]);
      expect(pem.details?.thumbprint).toBe(pfx.details?.thumbprint);
      expect(der.details?.thumbprint).toBe(pfx.details?.thumbprint);
    });
  });

  describe('validity against an injected clock', () => {
    test('a valid certificate two years from now is expired', async () => {
      const result = await check('defaultPfx', 'right', { now: new Date(Date.now() + 2 * 365 * DAY_MS) });
      expect(codes(result)).toEqual(['expired']);
      expect(result.details?.daysLeft).toBeLessThan(0);
    });

    test('a day before it was issued it is not yet valid', async () => {
      const result = await check('defaultPfx', 'right', { now: new Date(Date.now() - DAY_MS) });
      expect(codes(result)).toEqual(['not-yet-valid']);
    });

    test('close to the end it warns, and --warn-days moves the threshold', async () => {
      const nearEnd = new Date(Date.now() + 350 * DAY_MS);
      expect(codes(await check('defaultPfx', 'right', { now: nearEnd }))).toEqual(['expires-soon']);
      expect(codes(await check('defaultPfx', 'right', { now: nearEnd, warnDays: 7 }))).toEqual([]);
      expect(codes(await check('expiringSoonPfx', 'right', { warnDays: 3 }))).toEqual([]);
    });
  });

  describe('a forced format that does not match the file', () => {
    test('PEM given where a PFX is configured', async () => {
      expect(codes(await check('bundlePem', 'right', { format: 'pfx' }))).toEqual(['wrong-format']);
    });
  });

  describe('the suggested fixes work', () => {
    test('re-exporting a legacy PFX makes it usable', async () => {
      const command = commandIn(findingOf(await check('legacyPfx'), 'legacy-encryption').fix);
      await runInShell(command);
      const fixed = await checkCertificate({ path: path.join(fixtures.dir, 'legacy.aes.pfx'), password: fixtures.password });
      expect(fixed.findings).toEqual([]);
      await expect(fs.access(path.join(fixtures.dir, 'legacy.tmp.pem'))).rejects.toThrow();
    });

    test('re-exporting a PFX without MAC makes it usable', async () => {
      await runInShell(commandIn(findingOf(await check('noMacPfx'), 'pfx-without-mac').fix));
      const fixed = await checkCertificate({ path: path.join(fixtures.dir, 'nomac.aes.pfx'), password: fixtures.password });
      expect(fixed.findings).toEqual([]);
    });

    test('giving an unprotected PFX a password and a MAC makes it usable with that password', async () => {
      await runInShell(commandIn(findingOf(await check('unprotectedNoMacPfx', 'none'), 'pfx-without-mac').fix));
      const fixed = await checkCertificate({ path: path.join(fixtures.dir, 'unprotected-nomac.aes.pfx'), password: fixtures.password });
      expect(fixed.findings).toEqual([]);
    });

    // PBMAC1 has no such test: the openssl CLI here is 3.0, which cannot read PBMAC1 to re-export it.
    test('re-exporting a PFX with an MD5 MAC makes it usable', async () => {
      await runInShell(commandIn(findingOf(await check('md5MacPfx'), 'unsupported-mac').fix));
      const fixed = await checkCertificate({ path: path.join(fixtures.dir, 'md5-mac.aes.pfx'), password: fixtures.password });
      expect(fixed.findings).toEqual([]);
    });

    test('converting a PKCS#1 key to PKCS#8 makes the bundle usable', async () => {
      await runInShell(commandIn(findingOf(await check('pkcs1KeyPem'), 'pem-key-not-pkcs8').fix));
      const certificate = await fs.readFile(path.join(fixtures.dir, 'client.crt'), 'utf8');
      const key = await fs.readFile(path.join(fixtures.dir, 'key.pk8.pem'), 'utf8');
      const rebuilt = path.join(fixtures.dir, 'rebuilt.pem');
      await fs.writeFile(rebuilt, certificate + key);
      expect((await checkCertificate({ path: rebuilt })).findings).toEqual([]);
    });
  });

  describe('the PFX structure, read without a password or OpenSSL', () => {
    const OID = {
      sha1: '1.3.14.3.2.26',
      sha256: '2.16.840.1.101.3.4.2.1',
      pbes2: '1.2.840.113549.1.5.13',
      pbkdf2: '1.2.840.113549.1.5.12',
      hmacWithSha256: '1.2.840.113549.2.9',
      aes256: '2.16.840.1.101.3.4.1.42',
      rc2With40Bits: '1.2.840.113549.1.12.1.6',
      tripleDes: '1.2.840.113549.1.12.1.3',
    };
    // OpenSSL 3's default: PBES2, PBKDF2 with HMAC-SHA-256, AES-256-CBC.
    const aes256 = { algorithm: OID.pbes2, pbes2: { keyDerivation: OID.pbkdf2, cipher: OID.aes256, prf: OID.hmacWithSha256 } };
    // What the structure says about protection (the ciphertext it also carries is asserted on in pfx-iterations.test.ts).
    const structureOf = async (file: FixtureName) => {
      const structure = readPfxStructure(await fs.readFile(fixtures.files[file]));
      if (!structure) return undefined;
      const { encryptedContents, ...protection } = structure;
      return { ...protection, encryptedContents: encryptedContents.length };
    };

    test('names the MAC and the cipher of each encrypted part (RFC 7292 and RFC 8018 identifiers)', async () => {
      // OpenSSL's default count, 2,048, for every key derivation.
      expect(await structureOf('defaultPfx')).toEqual({
        macAlgorithm: OID.sha256,
        macIterations: 2048,
        encryptedParts: [
          { part: 'contents', ...aes256, iterations: 2048 },
          { part: 'key', ...aes256, iterations: 2048 },
        ],
        complete: true,
        encryptedContents: 1,
      });
      expect(await structureOf('legacyPfx')).toEqual({
        macAlgorithm: OID.sha1,
        macIterations: 2048,
        encryptedParts: [
          { part: 'contents', algorithm: OID.rc2With40Bits, iterations: 2048 },
          { part: 'key', algorithm: OID.tripleDes, iterations: 2048 },
        ],
        complete: true,
        encryptedContents: 1,
      });
      // `-nomac` also leaves the certificates unencrypted: only the key is.
      expect(await structureOf('noMacPfx')).toEqual({ macAlgorithm: null, macIterations: null, encryptedParts: [{ part: 'key', ...aes256, iterations: 2048 }], complete: true, encryptedContents: 0 });
      expect(await structureOf('unprotectedNoMacPfx')).toEqual({ macAlgorithm: null, macIterations: null, encryptedParts: [], complete: true, encryptedContents: 0 });
    });

    test.each<FixtureName>(['derCertificate', 'truncatedPfx', 'randomBytes'])('%s is not a PFX', async (file) => {
      expect(await structureOf(file)).toBeUndefined();
    });
  });

  describe('verdicts that do not follow the local OpenSSL', () => {
    // What the OpenSSL inside each supported Node does with these files, checked so the fixtures are
    // known to be the kind that used to flip the verdict. Versions not listed still get the verdict checks.
    const [opensslMajorMinor] = /^\d+\.\d+/.exec(process.versions.openssl) ?? [''];
    const LOCAL_OPENSSL: Record<string, { noMacWithPassword: boolean; pbmac1: boolean }> = {
      '3.0': { noMacWithPassword: false, pbmac1: false }, // Node 20
      '3.5': { noMacWithPassword: true, pbmac1: true }, // Node 22, 24
    };
    const opensLocally = async (file: FixtureName, password: string): Promise<boolean> => {
      try {
        tls.createSecureContext({ pfx: await fs.readFile(fixtures.files[file]), passphrase: password });
        return true;
      } catch {
        return false;
      }
    };

    test('a PFX without MAC: OpenSSL 3.0 refuses it with the password, 3.5 opens it; the verdict is the same', async () => {
      const local = LOCAL_OPENSSL[opensslMajorMinor];
      if (local) expect(await opensLocally('noMacPfx', fixtures.password)).toBe(local.noMacWithPassword);
      expect(codes(await check('noMacPfx'))).toEqual(['pfx-without-mac']);
    });

    test('a real PBMAC1 PFX: only OpenSSL 3.4+ verifies it (and refuses a wrong password); the verdict is the same', async () => {
      const local = LOCAL_OPENSSL[opensslMajorMinor];
      if (local) expect(await opensLocally('pbmac1Pfx', fixtures.password)).toBe(local.pbmac1);
      expect(await opensLocally('pbmac1Pfx', `${fixtures.password}-but-wrong`)).toBe(false);
      expect(codes(await check('pbmac1Pfx'))).toEqual(['unsupported-mac']);
    });
  });

  describe('the cert:check command', () => {
    // The runs are independent, so they go in parallel: each one bundles and starts Node.
    const runs: Record<string, CliRun> = {};
    beforeAll(async () => {
      const { files, password } = fixtures;
      const withPassword = { CERT_PASSWORD: password };
      const planned: Record<string, [string[], Record<string, string>]> = {
        usable: [[files.defaultPfx, files.chainPfx, files.ecP256Pfx], withPassword],
        problems: [[files.defaultPfx, files.legacyPfx], withPassword],
        json: [['--json', files.chainPfx, files.legacyPfx, files.missingPath], withPassword],
        noPasswordSet: [[files.defaultPfx], {}],
        otherPasswordEnv: [['--password-env', 'CLIENT_PFX_PASSWORD', '--warn-days=3', files.defaultPfx, files.expiringSoonPfx], { CLIENT_PFX_PASSWORD: password }],
        unknownFlag: [['--verbose', files.defaultPfx], withPassword],
        noFile: [['--json'], withPassword],
        badWarnDays: [['--warn-days', 'soon', files.defaultPfx], withPassword],
        passwordAsArgument: [[`--password=${password}`, files.defaultPfx], {}],
        // Node's flag that loads OpenSSL's legacy provider, with which RC2 files open.
        legacyProvider: [['--json', files.legacyPfx], { ...withPassword, NODE_OPTIONS: '--openssl-legacy-provider' }],
      };
      const entries = await Promise.all(Object.entries(planned).map(async ([name, [args, env]]) => [name, await runCertCheckCli(args, env)] as const));
      for (const [name, run] of entries) {
        runs[name] = run;
        outputs.push(run.stdout, run.stderr);
      }
    }, 60_000);

    test('exits 0 when every file is usable, warnings included', () => {
      expect(runs.usable.code).toBe(0);
      expect(runs.usable.stdout).toContain(`${fixtures.files.ecP256Pfx}: usable PFX (1 warning)`);
      expect(runs.usable.stdout).toContain(`thumbprint   ${fixtures.leafThumbprint} (SHA-1)`);
      expect(runs.usable.stdout).toContain('chain        2 certificates (leaf included)');
      expect(runs.usable.stdout).toContain('3 files checked: 3 usable, 0 with problems.');
    });

    test('exits 1 and prints one line per problem with its fix', () => {
      expect(runs.problems.code).toBe(1);
      const problemLine = runs.problems.stdout.split('\n').find((line) => line.startsWith(`${fixtures.files.legacyPfx}: error: `));
      expect(problemLine).toMatch(/legacy algorithm .* Fix: re-export it with AES: `openssl pkcs12 -legacy /);
    });

    test('--json prints an array of results with the openssl thumbprint', () => {
      expect(runs.json.code).toBe(1);
      const results = JSON.parse(runs.json.stdout) as CertificateCheckResult[];
      expect(results.map((result) => [result.file, result.ok])).toEqual([
        [fixtures.files.chainPfx, true],
        [fixtures.files.legacyPfx, false],
        [fixtures.files.missingPath, false],
      ]);
      expect(results[0].details?.thumbprint).toBe(fixtures.leafThumbprint);
      expect(results[0].details?.chainLength).toBe(2);
      expect(results[1].findings).toEqual([
        { severity: 'error', code: 'legacy-encryption', message: expect.any(String), fix: expect.stringContaining('-macalg sha256') },
      ]);
      expect(results[2].findings[0].code).toBe('missing-path');
    });

    test('reads the password from CERT_PASSWORD by default and says when it is not set', () => {
      expect(runs.noPasswordSet.code).toBe(1);
      expect(runs.noPasswordSet.stdout).toMatch(/error: this PFX is protected by a password, but CERT_PASSWORD is not set/);
    });

    test('--password-env names another variable and --warn-days=N moves the expiry warning', () => {
      expect(runs.otherPasswordEnv.code).toBe(0);
      expect(runs.otherPasswordEnv.stdout).not.toContain('warning: the certificate expires');
    });

    test("OpenSSL's legacy provider lets Node open an RC2 PFX, but does not change the verdict", async () => {
      const opens = (flags: string[]) =>
        new Promise<boolean>((resolve) => {
          const script = "require('node:tls').createSecureContext({ pfx: require('node:fs').readFileSync(process.argv[1]), passphrase: process.env.CERT_PASSWORD })";
          execFile(process.execPath, [...flags, '-e', script, fixtures.files.legacyPfx], { env: { ...process.env, [PASSWORD_ENV]: fixtures.password } }, (failure) => resolve(!failure));
        });
      expect(await opens([])).toBe(false);
      expect(await opens(['--openssl-legacy-provider'])).toBe(true);
      const [result] = JSON.parse(runs.legacyProvider.stdout) as CertificateCheckResult[];
      expect(result.findings).toEqual((await check('legacyPfx')).findings);
      expect(runs.legacyProvider.code).toBe(1);
    });

    test.each([
      ['unknownFlag', /^cert:check: unknown option --verbose\. usage: npm run cert:check -- /],
      ['noFile', /^cert:check: no file given\. usage: /],
      ['badWarnDays', /^cert:check: --warn-days needs a whole number/],
      ['passwordAsArgument', /^cert:check: --password is not accepted: put the password in an environment variable/],
    ])('usage error %s exits 2 with a one-line message', (name, expected) => {
      const run = runs[name];
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(expected);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });

  // Declared last so that it runs after, and sees the output of, every test above.
  describe('secrets', () => {
    test('no password and no key material appears in any output', () => {
      expect(outputs.length).toBeGreaterThan(matrix.length);
      for (const output of outputs) {
        expect(output).not.toContain(fixtures.password);
        expect(output).not.toContain(fixtures.keyMaterialSample);
      }
    });
  });
});

// Argument rules that need no certificate, so they run even without openssl.
describe('cert:check arguments', () => {
  const defaults = { passwordEnv: 'CERT_PASSWORD', warnDays: 30 };

  test('defaults, flags in both spellings, and files after --', () => {
    expect(parseCliArgs(['a.pfx'], defaults)).toEqual({ kind: 'run', options: { files: ['a.pfx'], passwordEnv: 'CERT_PASSWORD', warnDays: 30, json: false } });
    expect(parseCliArgs(['--json', '--warn-days', '0', '--password-env=PFX_PASS', 'a.pfx', '--', '--odd-name.pfx'], defaults)).toEqual({
      kind: 'run',
      options: { files: ['a.pfx', '--odd-name.pfx'], passwordEnv: 'PFX_PASS', warnDays: 0, json: true },
    });
    expect(parseCliArgs(['--help'], defaults)).toEqual({ kind: 'help' });
  });

  test.each([
    [['--warn-days', '-1', 'a.pfx'], /--warn-days needs a whole number/],
    [['--warn-days', '1.5', 'a.pfx'], /--warn-days needs a whole number/],
    [['a.pfx', '--warn-days'], /--warn-days needs a whole number/],
    [['--password-env', 'not a name', 'a.pfx'], /--password-env needs the NAME/],
    [['--json=yes', 'a.pfx'], /--json takes no value/],
    [['-p', 'secret', 'a.pfx'], /-p is not accepted/],
  ])('%j is a usage error', (argv, expected) => {
    const parsed = parseCliArgs(argv, defaults);
    expect(parsed.kind).toBe('usage-error');
    expect(parsed.kind === 'usage-error' && parsed.message).toMatch(expected);
  });

  test('a password typed as --password=VALUE is never echoed', () => {
    const parsed = parseCliArgs(['--password=hunter2-hunter2', 'a.pfx'], defaults);
    expect(parsed.kind === 'usage-error' && parsed.message).not.toContain('hunter2');
  });
});
