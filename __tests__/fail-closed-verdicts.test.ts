import { expiryReport, reportExitCode } from '../rotation/expiry-report';
import { refusals, rotationPlan } from '../rotation/rotation-plan';
import type { CertificateDetails } from '../preflight/findings';

// The verdicts of the expiry report and the rotation review where what they are given cannot be believed:
// they refuse or say "no report", never "fine".

const NOW = new Date('2026-12-05T00:00:00Z');
const A = 'A'.repeat(40);
const B = 'B'.repeat(40);

describe('the expiry report', () => {
  const observed = (name: string, thumbprint = A) => ({ name, keyVault: { thumbprint, expires: '2027-12-01T00:00:00Z' }, apiManagement: { thumbprint, expires: '2027-12-01T00:00:00Z' }, problems: [] });

  it('is fine for one certificate of each declared name', () => {
    const lines = expiryReport(['mtls-backend'], [observed('mtls-backend')], NOW, 30);
    expect([lines.map((l) => l.status), reportExitCode(lines)]).toEqual([['ok'], 0]);
  });

  it('exits 2 naming the certificate when a name is found twice (in any case), or declared twice', () => {
    const found = expiryReport(['mtls-backend'], [observed('mtls-backend'), observed('MTLS-Backend', B)], NOW, 30);
    expect([found[0].status, found[0].problems, reportExitCode(found)]).toEqual(['unreadable', ['mtls-backend: declared or found more than once'], 2]);
    const declared = expiryReport(['mtls-backend', 'mtls-backend'], [observed('mtls-backend')], NOW, 30);
    expect([declared.map((l) => l.status), reportExitCode(declared)]).toEqual([['ok', 'unreadable'], 2]);
  });
});

describe('the rotation review', () => {
  const details = (thumbprint: string, notAfter: string): CertificateDetails => ({
    format: 'pfx',
    subject: 'CN=orders.fabrikam.example',
    issuer: 'CN=Fabrikam CA',
    thumbprint,
    serialNumber: '01',
    notBefore: '2026-12-01T00:00:00Z',
    notAfter,
    daysLeft: 361,
    keyType: 'RSA',
    keySize: 2048,
    clientAuthEku: true,
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
    hasPrivateKey: true,
    chainLength: 2,
  });
  const declared = { key: 'RSA 2048', contentType: 'application/x-pkcs12', exportable: true, reuseKey: false };
  const deployed = (expires: string | null) => [{ name: 'mtls-backend', keyVault: { thumbprint: A, expires, key: 'RSA 2048', contentType: 'application/x-pkcs12', exportable: true, reuseKey: false }, problems: [] }];
  const none = { allowEarlierExpiry: false, allowPolicyChange: new Set<string>() };

  it("refuses a renewal when the expiry of the certificate in place cannot be read, unless an earlier expiry is allowed", () => {
    const plan = rotationPlan([{ name: 'mtls-backend', details: details(B, '2027-12-01T00:00:00Z'), declared }], deployed(null));
    expect(plan[0]).toMatchObject({ kind: 'rotating', expiryUnknown: true });
    expect(refusals(plan, none)).toEqual([expect.stringMatching(/^mtls-backend: the expiry of the certificate in Key Vault cannot be read from the state, so an earlier expiry cannot be ruled out\. Fix: /)]);
    expect(refusals(plan, { ...none, allowEarlierExpiry: true })).toEqual([]);
  });

  it('lets a renewal that expires later through', () => {
    const plan = rotationPlan([{ name: 'mtls-backend', details: details(B, '2027-12-01T00:00:00Z'), declared }], deployed('2026-12-20T00:00:00Z'));
    expect([plan[0].kind, refusals(plan, none)]).toEqual(['rotating', []]);
  });
});
