import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkEnvironmentCertificates } from '../config/check-environment-certificates';
import { hasOpenssl, makePfx, randomPassword } from './support/openssl';
import { baseEnvironment } from './support/stack-fixture';
import { describeWith } from './support/required-tools';

// Without openssl no PFX can be made here; CI has it.
const describeWithOpenssl = describeWith(hasOpenssl, 'openssl (to make the certificates)');

describeWithOpenssl('the synth-time pre-flight of an environment', () => {
  let dir: string;
  let pfx: string;
  const password = randomPassword();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-certs-'));
    pfx = makePfx(dir, password);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ TF_VAR_mtls_backend_pfx_path: pfx, TF_VAR_mtls_backend_pfx_password: password });

  it('passes a usable file whose key is the one declared (RSA 2048 by default)', async () => {
    expect(await checkEnvironmentCertificates([baseEnvironment], env())).toEqual({ lines: [`${pfx}: ok (certificate mtls-backend)`], failed: false });
  });

  it('fails when the file holds another key than the environment declares', async () => {
    const declared = { ...baseEnvironment, certificates: [{ name: 'mtls-backend', key: { keyType: 'RSA' as const, keySize: 3072 as const } }] };
    const { lines, failed } = await checkEnvironmentCertificates([declared], env());
    expect(failed).toBe(true);
    expect(lines).toEqual([
      `${pfx}: error: the file's key is RSA 2048, but environments/unit.ts declares RSA 3072 for certificate mtls-backend. Fix: set its key to { keyType: 'RSA', keySize: 2048 }, or use a file with the declared key.`,
    ]);
  });

  it('says which certificates it did not check, and does not fail for them', async () => {
    expect(await checkEnvironmentCertificates([baseEnvironment], {})).toEqual({
      lines: ['certificate mtls-backend: not checked (TF_VAR_mtls_backend_pfx_path is not set)'],
      failed: false,
    });
  });

  it('opens a file shared by several environments once, and holds each to its own declared key', async () => {
    expect((await checkEnvironmentCertificates([baseEnvironment, { ...baseEnvironment, name: 'other' }], env())).lines).toHaveLength(1);
    const prodLike = { ...baseEnvironment, name: 'prod', certificates: [{ name: 'mtls-backend', key: { keyType: 'RSA' as const, keySize: 3072 as const } }] };
    const { lines, failed } = await checkEnvironmentCertificates([baseEnvironment, prodLike], env());
    expect(failed).toBe(true);
    expect(lines).toEqual([`${pfx}: ok (certificate mtls-backend)`, expect.stringContaining('environments/prod.ts declares RSA 3072')]);
  });
});
