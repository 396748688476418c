import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, id_certBag, id_pkcs8ShroudedKeyBag, id_x509Certificate, MacData, PFX, PKCS8ShroudedKeyBag, SafeBag, SafeContents } from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { checkCertificate } from '../preflight/check-certificate';
import { excessiveWork, MAX_ITERATIONS_PER_DERIVATION, MAX_ITERATIONS_PER_FILE } from '../preflight/pfx-iterations';
import { EncryptedData, insideEncryptedContents, readPfxStructure } from '../preflight/pfx-structure';
import { OID, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams, pkcs12Kdf } from '../preflight/pkcs12-encryption';
import { hasOpenssl, randomPassword } from './support/openssl';
import { writePooledKey } from './support/key-pool';
import { describeWith } from './support/required-tools';

// A PFX names the iteration count of every key derivation in it, and whoever opens it runs them. A few
// KB asking for 2^31 iterations used to keep cert:check (and the plan and rotation review, which open the
// same way) busy for minutes; now the count is read from the structure first and refused above a bound.
// These tests would run into jest's timeout on the code before the bound: that is how they fail there.

const HUGE = 2 ** 31 - 1;
const der = (value: unknown) => Buffer.from(AsnConvert.serialize(value));
const ab = (bytes: Buffer) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;

describe('the iteration bound', () => {
  const part = (iterations: number) => ({ part: 'key' as const, algorithm: OID.pbes2, iterations });
  it('accepts every derivation up to the per-derivation bound and refuses one more', () => {
    expect(excessiveWork(MAX_ITERATIONS_PER_DERIVATION, [part(MAX_ITERATIONS_PER_DERIVATION)])).toBeUndefined();
    expect(excessiveWork(MAX_ITERATIONS_PER_DERIVATION + 1, [])?.what).toBe('the MAC asks for 1000001 iterations of its key derivation (at most 1,000,000 per derivation)');
    expect(excessiveWork(2048, [part(MAX_ITERATIONS_PER_DERIVATION + 1)])?.what).toMatch(/^a private key bag asks for 1000001 iterations/);
  });
  it('bounds the whole file, so many derivations under the bound cannot add up to minutes', () => {
    const four = [part(800_000), part(800_000), part(800_000)];
    expect(excessiveWork(800_000, four)?.what).toBe(`its 4 key derivations ask for 3200000 iterations together (at most ${MAX_ITERATIONS_PER_FILE.toLocaleString('en-US')} per file)`);
    expect(excessiveWork(750_000, [part(750_000), part(750_000), part(750_000)])).toBeUndefined();
  });
  it('refuses a count that is no safe integer (an INTEGER of any length parses)', () => {
    expect(excessiveWork(2 ** 60, [])).toBeDefined();
  });
});

describeWith(hasOpenssl, 'openssl (to make the certificates)')('a PFX that asks for too much work is refused before any derivation runs', () => {
  jest.setTimeout(30_000);
  let dir: string;
  const password = randomPassword();
  const files: Record<'aes' | 'tripleDes' | 'windowsAes', string> = { aes: '', tripleDes: '', windowsAes: '' };
  let certificateDer: Buffer;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pfx-iterations-'));
    const key = path.join(dir, 'client.key');
    const cert = path.join(dir, 'client.crt');
    execFileSync('openssl', ['req', '-x509', '-key', writePooledKey(key), '-out', cert, '-days', '30', '-subj', '/CN=iterations', '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'ignore' });
    certificateDer = Buffer.from(new crypto.X509Certificate(fs.readFileSync(cert)).raw);
    const exportPfx = (name: string, extra: string[]) => {
      const file = path.join(dir, name);
      execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', file, '-passout', 'env:PFX_PASSWORD', ...extra], { stdio: 'ignore', env: { ...process.env, PFX_PASSWORD: password } });
      return file;
    };
    files.aes = exportPfx('aes.pfx', []);
    files.tripleDes = exportPfx('3des.pfx', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES']);
    // Windows' "AES256-SHA256" export: 10,000 iterations everywhere (and the MAC with SHA-256).
    files.windowsAes = exportPfx('windows.pfx', ['-iter', '10000', '-macalg', 'sha256']);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const check = (file: string) => checkCertificate({ path: file, password, passwordEnv: 'PFX_PASSWORD' });
  const codes = async (file: string) => (await check(file)).findings.map((f) => f.code);

  /** The file with its MAC's iteration count changed (the MAC itself no longer verifies, which nobody gets to find out). */
  function withMacIterations(file: string, iterations: number): Buffer {
    const pfx = AsnConvert.parse(fs.readFileSync(file), PFX);
    pfx.macData.iterations = iterations;
    return der(pfx);
  }

  /** The file with the iteration count of its encrypted certificates changed. */
  function withContentsIterations(file: string, iterations: number): Buffer {
    const pfx = AsnConvert.parse(fs.readFileSync(file), PFX);
    const safes = AsnConvert.parse(AsnConvert.parse(pfx.authSafe.content, OctetString), AuthenticatedSafe);
    const encrypted = safes.find((safe) => safe.contentType === id_encryptedData)!;
    const data = AsnConvert.parse(encrypted.content, EncryptedData);
    const algorithm = data.encryptedContentInfo.contentEncryptionAlgorithm;
    if (algorithm.algorithm === OID.pbes2) {
      const pbes2 = AsnConvert.parse(algorithm.parameters!, Pbes2Params);
      const kdf = AsnConvert.parse(pbes2.keyDerivationFunc.parameters!, Pbkdf2Params);
      kdf.iterationCount = iterations;
      pbes2.keyDerivationFunc.parameters = ab(der(kdf));
      algorithm.parameters = ab(der(pbes2));
    } else {
      const params = AsnConvert.parse(algorithm.parameters!, Pkcs12PbeParams);
      params.iterations = iterations;
      algorithm.parameters = ab(der(params));
    }
    encrypted.content = ab(der(data));
    pfx.authSafe.content = ab(der(new OctetString(der(new AuthenticatedSafe([...safes])))));
    return der(pfx);
  }

  /**
   * A PFX with a valid SHA-256 MAC whose first safe is encrypted (AES-256, 2,048 iterations) and holds the
   * certificate and a key bag asking for 2^31-1 iterations: only the password shows that count, and
   * OpenSSL, having verified the MAC and decrypted the safe, would run it. `prf`: the PBKDF2 PRF of the
   * encrypted safe; `extraKeyBag`: a second, visible key bag under that algorithm (a legacy one, say).
   */
  function withHiddenKeyBag(options: { password?: string; prf?: { oid: string; node: string }; extraKeyBag?: string } = {}): Buffer {
    const pw = options.password ?? password;
    const prf = options.prf ?? { oid: '1.2.840.113549.2.9', node: 'sha256' };
    const salt = crypto.randomBytes(16);
    const iv = crypto.randomBytes(16);
    const pbes2 = (iterations: number, ivBytes: Buffer, saltBytes: Buffer, prfOid = '1.2.840.113549.2.9') =>
      new AlgorithmIdentifier({
        algorithm: OID.pbes2,
        parameters: ab(
          der(
            Object.assign(new Pbes2Params(), {
              keyDerivationFunc: new AlgorithmIdentifier({
                algorithm: OID.pbkdf2,
                parameters: ab(der(Object.assign(new Pbkdf2Params(), { salt: new OctetString(saltBytes), iterationCount: iterations, prf: new AlgorithmIdentifier({ algorithm: prfOid, parameters: null }) }))),
              }),
              encryptionScheme: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.1.42', parameters: ab(der(new OctetString(ivBytes))) }),
            }),
          ),
        ),
      });
    const keyBag = new SafeBag({
      bagId: id_pkcs8ShroudedKeyBag,
      bagValue: ab(der(new PKCS8ShroudedKeyBag({ encryptionAlgorithm: pbes2(HUGE, crypto.randomBytes(16), crypto.randomBytes(16)), encryptedData: new OctetString(crypto.randomBytes(1232)) }))),
    });
    const certBag = new SafeBag({ bagId: id_certBag, bagValue: ab(der(new CertBag({ certId: id_x509Certificate, certValue: ab(der(new OctetString(certificateDer))) }))) });
    const key = crypto.pbkdf2Sync(Buffer.from(pw, 'utf8'), salt, 2048, 32, prf.node);
    const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
    const encryptedSafe = Buffer.concat([cipher.update(der(new SafeContents([certBag, keyBag]))), cipher.final()]);
    const data = new EncryptedData();
    data.encryptedContentInfo = new EncryptedContentInfo({ contentType: id_data, contentEncryptionAlgorithm: pbes2(2048, iv, salt, prf.oid), encryptedContent: new EncryptedContent({ value: new OctetString(encryptedSafe) }) });
    const safes = [new ContentInfo({ contentType: id_encryptedData, content: ab(der(data)) })];
    if (options.extraKeyBag) {
      const params = Object.assign(new Pkcs12PbeParams(), { salt: new OctetString(crypto.randomBytes(8)), iterations: 2048 });
      const visible = new SafeBag({
        bagId: id_pkcs8ShroudedKeyBag,
        bagValue: ab(der(new PKCS8ShroudedKeyBag({ encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: options.extraKeyBag, parameters: ab(der(params)) }), encryptedData: new OctetString(crypto.randomBytes(1232)) }))),
      });
      safes.push(new ContentInfo({ contentType: id_data, content: ab(der(new OctetString(der(new SafeContents([visible]))))) }));
    }
    const authenticatedSafe = der(new AuthenticatedSafe(safes));
    const macSalt = crypto.randomBytes(8);
    const mac = crypto.createHmac('sha256', pkcs12Kdf('sha256', pw, macSalt, 3, 2048, 32)).update(authenticatedSafe).digest();
    return der(
      new PFX({
        version: 3,
        authSafe: new ContentInfo({ contentType: id_data, content: ab(der(new OctetString(authenticatedSafe))) }),
        macData: new MacData({
          mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1', parameters: null }), digest: new OctetString(mac) }),
          macSalt: new OctetString(macSalt),
          iterations: 2048,
        }),
      }),
    );
  }

  it('opens what exporters write: OpenSSL (AES and 3DES, 2,048) and Windows-like AES-256 at 10,000', async () => {
    for (const file of Object.values(files)) expect([file, (await check(file)).ok]).toEqual([file, true]);
  });

  it('refuses a MAC asking for 2^31-1 iterations, naming the count, the bound and a re-export', async () => {
    const file = write('mac-huge.pfx', withMacIterations(files.aes, HUGE));
    const { ok, findings } = await check(file);
    expect(ok).toBe(false);
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'excessive-iterations',
        message: expect.stringContaining('the MAC asks for 2147483647 iterations of its key derivation (at most 1,000,000 per derivation)'),
        fix: expect.stringContaining('openssl pkcs12 -export -in cert.pem -inkey key.pem'),
      }),
    ]);
  });

  it('refuses encrypted certificates asking for too much, under AES and under 3DES, with or without the password', async () => {
    for (const source of [files.aes, files.tripleDes]) {
      const file = write(`contents-${path.basename(source)}`, withContentsIterations(source, HUGE));
      expect(await codes(file)).toEqual(['excessive-iterations']);
      expect((await checkCertificate({ path: file, password: undefined, passwordEnv: 'PFX_PASSWORD' })).findings.map((f) => f.code)).toEqual(['excessive-iterations']);
    }
  });

  it('finds a key bag hidden inside the encrypted certificates, which OpenSSL itself reaches only after the MAC verified', async () => {
    const file = write('hidden.pfx', withHiddenKeyBag());
    // OpenSSL's own reading of the fixture: the MAC verifies (or it would stop there) and, inside the decrypted safe, the key bag asks for 2^31-1.
    const info = spawnSync('openssl', ['pkcs12', '-in', file, '-info', '-nokeys', '-nocerts', '-passin', 'env:PFX_PASSWORD'], { env: { ...process.env, PFX_PASSWORD: password }, encoding: 'utf8' });
    expect(info.status).toBe(0);
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2147483647/);
    expect(await codes(file)).toEqual(['excessive-iterations']);
  });

  // Ways around the bound the review found (none may hand the file to OpenSSL, which decrypts every part).
  it('never opens a file another finding refuses: its password is judged by the HMAC alone', async () => {
    // A legacy (RC2) key bag beside the hidden one: legacy-encryption, and the password still checked.
    const file = write('hidden-and-legacy.pfx', withHiddenKeyBag({ extraKeyBag: '1.2.840.113549.1.12.1.6' }));
    expect(await codes(file)).toEqual(['legacy-encryption']);
    const wrong = await checkCertificate({ path: file, password: `${password}-wrong`, passwordEnv: 'PFX_PASSWORD' });
    expect(wrong.findings.map((f) => f.code).sort()).toEqual(['legacy-encryption', 'wrong-password']);
  });

  it('bounds the hidden work of a file without a password too (OpenSSL tries the empty one)', async () => {
    const file = write('hidden-empty-password.pfx', withHiddenKeyBag({ password: '' }));
    expect((await checkCertificate({ path: file, password: undefined, passwordEnv: 'PFX_PASSWORD' })).findings.map((f) => f.code)).toEqual(['excessive-iterations']);
  });

  it('reads encrypted certificates under every SHA-2 PRF (hmacWithSHA512-256 here), and refuses to open one under a PRF it cannot compute', async () => {
    const sha512256 = write('hidden-sha512-256.pfx', withHiddenKeyBag({ prf: { oid: '1.2.840.113549.2.13', node: 'sha512-256' } }));
    expect(await codes(sha512256)).toEqual(['excessive-iterations']);
    const unknown = write('unknown-prf.pfx', withHiddenKeyBag({ prf: { oid: '1.2.840.113549.2.99', node: 'sha256' } }));
    const result = await check(unknown);
    expect(result.findings.map((f) => [f.code, f.message])).toEqual([['legacy-encryption', expect.stringContaining('with PBKDF2 PRF 1.2.840.113549.2.99')]]);
  });

  it('decrypts the certificates of real OpenSSL files (AES and 3DES) with the right password, and not with a wrong one', () => {
    for (const file of [files.aes, files.tripleDes, files.windowsAes]) {
      const structure = readPfxStructure(fs.readFileSync(file))!;
      expect(structure.encryptedContents).toHaveLength(1);
      expect([file, insideEncryptedContents(structure, password)]).toEqual([file, []]);
      expect([file, insideEncryptedContents(structure, `${password}-wrong`)]).toEqual([file, undefined]);
    }
  });
});
