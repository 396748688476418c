import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AzureState } from '../emulator';
import { base64url, EntraId } from '../emulator/entra-id';
import { makeCertificate } from './support/test-certificates';

// The emulator's Entra ID and certificate credentials, without az: the assertions az could never send
// (no exp, an ECDSA signature under an RSA algorithm), which only a direct request can make.

describe("the emulated Entra ID's certificate credentials", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pemBlock = (file: string, block: string) => new RegExp(`-----BEGIN ${block}-----[\\s\\S]+?-----END ${block}-----\\n?`).exec(fs.readFileSync(file, 'utf8'))![0];

  function tenant(key: 'rsa:2048' | 'ec:P-256') {
    const made = makeCertificate(dir, `login-${key.replace(':', '-')}`, { key });
    const certificate = pemBlock(made.pem, 'CERTIFICATE');
    const privateKey = crypto.createPrivateKey(pemBlock(made.pem, 'PRIVATE KEY'));
    const state = new AzureState({ tenantId: crypto.randomUUID(), clientAddress: '20.50.60.70', rbacDelayMs: 0, now: Date.now });
    const principal = state.addPrincipal({ appId: crypto.randomUUID(), displayName: 'certificate-login', type: 'ServicePrincipal', certificates: [certificate] });
    const entra = new EntraId(state);
    const endpoint = `https://login.microsoftonline.com/${state.tenantId}/oauth2/v2.0/token`;
    const x5t = crypto.createHash('sha1').update(new crypto.X509Certificate(certificate).raw).digest('base64url');
    const assertion = (claims: Record<string, unknown>) => {
      const signed = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5t }))}.${base64url(JSON.stringify(claims))}`;
      return `${signed}.${crypto.sign('sha256', Buffer.from(signed), privateKey).toString('base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: endpoint, iss: principal.appId, sub: principal.appId, jti: crypto.randomUUID(), nbf: now, exp: now + 600 };
    const grant = (client_assertion: string) => {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: principal.appId!, scope: 'https://management.core.windows.net//.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion });
      const response = entra.handle({ method: 'POST', host: 'login.microsoftonline.com', path: `/${state.tenantId}/oauth2/v2.0/token`, query: {}, headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: Buffer.from(form.toString()) }, {});
      return [response.status, String((response.body as { error_description?: string }).error_description ?? 'token').split('\n')[0]];
    };
    return { assertion, claims, grant };
  }

  it('issues a token for a signed assertion with every required claim, and refuses one without exp', () => {
    const { assertion, claims, grant } = tenant('rsa:2048');
    expect(grant(assertion(claims))).toEqual([200, 'token']);
    const { exp, ...withoutExp } = claims;
    expect(exp).toBeGreaterThan(0);
    expect(grant(assertion(withoutExp))).toEqual([400, expect.stringContaining('AADSTS50027: JWT token is invalid or malformed: the client assertion has no exp claim.')]);
  });

  it('refuses an ECDSA signature that names RS256, though it verifies with the registered EC key', () => {
    const { assertion, claims, grant } = tenant('ec:P-256');
    expect(grant(assertion(claims))).toEqual([401, expect.stringContaining('AADSTS700027: Client assertion failed signature validation.')]);
  });
});
