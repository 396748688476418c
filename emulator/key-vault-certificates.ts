import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unixSeconds } from './http-exchange';
import { passwordlessPfx, readPem, readPfx, sha1, type ReadCertificate } from './pfx';
import { currentVersion, type CertificateVersion, type StoredCertificate, type Vault } from './state';

/**
 * Certificate objects inside one vault: the bundle, item, policy and operation shapes of
 * specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json (az 2.91.0's
 * azure-keyvault-certificates 4.7.0 sends api-version 7.4; the shapes are the same).
 */

export const vaultBaseUrl = (vault: Vault): string => `https://${vault.name.toLowerCase()}.vault.azure.net`;

export const newVersionId = (): string => crypto.randomBytes(16).toString('hex');

/** attributes.recoveryLevel / recoverableDays as they follow from the vault's soft-delete settings. */
export function recovery(vault: Vault): { recoveryLevel: string; recoverableDays?: number } {
  const { enableSoftDelete, enablePurgeProtection, softDeleteRetentionInDays } = vault.properties;
  if (enableSoftDelete === false) return { recoveryLevel: 'Purgeable' };
  const customized = softDeleteRetentionInDays !== 90 ? 'Customized' : '';
  return { recoveryLevel: `${customized}Recoverable${enablePurgeProtection ? '' : '+Purgeable'}`, recoverableDays: softDeleteRetentionInDays };
}

function attributes(vault: Vault, version: CertificateVersion) {
  return {
    enabled: version.enabled,
    ...(version.nbf !== undefined ? { nbf: version.nbf } : {}),
    ...(version.exp !== undefined ? { exp: version.exp } : {}),
    created: version.created,
    updated: version.updated,
    ...recovery(vault),
  };
}

export function policyBody(vault: Vault, certificate: StoredCertificate) {
  return {
    id: `${vaultBaseUrl(vault)}/certificates/${certificate.name}/policy`,
    ...certificate.policy,
    attributes: { enabled: true, created: certificate.policyCreated, updated: certificate.policyUpdated },
  };
}

/** CertificateBundle (GetCertificate, ImportCertificate, UpdateCertificate, RecoverDeletedCertificate). */
export function certificateBundle(vault: Vault, certificate: StoredCertificate, version: CertificateVersion) {
  const base = vaultBaseUrl(vault);
  return {
    id: `${base}/certificates/${certificate.name}/${version.version}`,
    kid: `${base}/keys/${certificate.name}/${version.version}`,
    sid: `${base}/secrets/${certificate.name}/${version.version}`,
    ...(version.x5t ? { x5t: version.x5t } : {}),
    ...(version.der ? { cer: version.der.toString('base64') } : {}),
    attributes: attributes(vault, version),
    policy: policyBody(vault, certificate),
    ...((version.tags ?? certificate.tags) ? { tags: version.tags ?? certificate.tags } : {}),
    contentType: version.contentType,
  };
}

/** CertificateItem (GetCertificates, GetCertificateVersions): no cer, no policy. */
export function certificateItem(vault: Vault, certificate: StoredCertificate, version: CertificateVersion, withVersion: boolean) {
  const id = `${vaultBaseUrl(vault)}/certificates/${certificate.name}${withVersion ? `/${version.version}` : ''}`;
  return {
    id,
    ...(version.x5t ? { x5t: version.x5t } : {}),
    attributes: attributes(vault, version),
    ...((version.tags ?? certificate.tags) ? { tags: version.tags ?? certificate.tags } : {}),
    ...(version.subject ? { subject: version.subject } : {}),
  };
}

/** The version a versionless request means: the newest completed, else the newest (a pending create). */
export const latestVersion = (certificate: StoredCertificate): CertificateVersion | undefined => currentVersion(certificate) ?? certificate.versions.at(-1);

/** Key Vault's subject format: RDNs joined with ", " (Node gives them one per line). */
const subjectOf = (x509: crypto.X509Certificate) => x509.subject.split('\n').join(', ');

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'P-256K' };

/** The policy Key Vault derives for an import without one (see the ImportCertificate example response). */
export function policyFromCertificate(read: ReadCertificate, contentType: string, exportable = true): Record<string, unknown> {
  const key = read.x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const isEc = key.asymmetricKeyType === 'ec';
  const validityMs = Date.parse(read.x509.validTo) - Date.parse(read.x509.validFrom);
  return {
    key_props: isEc
      ? { exportable, kty: 'EC', crv: CURVES[details.namedCurve ?? ''] ?? details.namedCurve, reuse_key: false }
      : { exportable, kty: 'RSA', key_size: details.modulusLength, reuse_key: false },
    secret_props: { contentType },
    x509_props: {
      subject: subjectOf(read.x509),
      ...(read.x509.subjectAltName ? { sans: { dns_names: read.x509.subjectAltName.split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)) } } : {}),
      ekus: [],
      key_usage: [],
      validity_months: Math.max(1, Math.round(validityMs / (30.44 * 24 * 3600 * 1000))),
    },
    lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'EmailContacts' } }],
    issuer: { name: 'Unknown' },
  };
}

export type ImportInput = { value?: string; pwd?: string; policy?: Record<string, unknown>; attributes?: { enabled?: boolean; nbf?: number; exp?: number }; tags?: Record<string, string> };

/** Reads ImportCertificate's `value`: base64 PKCS#12 (with `pwd`), or PEM text for application/x-pem-file. */
export function readImportValue(input: ImportInput): { ok: true; read: ReadCertificate; contentType: string } | { ok: false; message: string } {
  const requested = (input.policy?.secret_props as { contentType?: string } | undefined)?.contentType;
  const value = input.value ?? '';
  if (value.includes('-----BEGIN') || requested === 'application/x-pem-file') {
    const result = readPem(value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8'));
    return result.ok ? { ok: true, read: result.certificate, contentType: 'application/x-pem-file' } : result;
  }
  const result = readPfx(Buffer.from(value, 'base64'), input.pwd ?? '');
  return result.ok ? { ok: true, read: result.certificate, contentType: requested ?? 'application/x-pkcs12' } : result;
}

/** Adds an imported version (each import is a new version) and returns it. */
export function addImportedVersion(vault: Vault, name: string, input: ImportInput, read: ReadCertificate, contentType: string, nowMs: number): { certificate: StoredCertificate; version: CertificateVersion } {
  const now = unixSeconds(nowMs);
  let certificate = findCertificate(vault, name);
  const derived = policyFromCertificate(read, contentType);
  if (!certificate) {
    certificate = { name, versions: [], policy: { ...derived, ...(input.policy ?? {}), issuer: { name: 'Unknown' } }, policyCreated: now, policyUpdated: now };
    vault.certificates.set(name.toLowerCase(), certificate);
  } else if (input.policy) {
    certificate.policy = { ...certificate.policy, ...input.policy };
    certificate.policyUpdated = now;
  }
  if (input.tags) certificate.tags = input.tags;
  const version: CertificateVersion = {
    version: newVersionId(),
    status: 'completed',
    der: read.der,
    x5t: sha1(read.der).toString('base64url'),
    subject: subjectOf(read.x509),
    nbf: unixSeconds(Date.parse(read.x509.validFrom)),
    exp: unixSeconds(Date.parse(read.x509.validTo)),
    created: now,
    updated: now,
    enabled: input.attributes?.enabled ?? true,
    secretValue: contentType === 'application/x-pem-file' ? read.pem : passwordlessPfx(read.pem).toString('base64'),
    contentType,
    tags: input.tags,
  };
  certificate.versions.push(version);
  return { certificate, version };
}

/** A CSR for CreateCertificate, made with openssl so that `csr` is a real PKCS#10 request. */
export function makeCsr(subject: string, keyProps: { kty?: string; key_size?: number; crv?: string } | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-emulator-csr-'));
  try {
    const key = keyProps?.kty?.startsWith('EC')
      ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${keyProps.crv === 'P-384' ? 'P-384' : 'P-256'}`]
      : ['-newkey', `rsa:${keyProps?.key_size ?? 2048}`];
    const opensslSubject = `/${subject.split(/,\s*/).join('/')}`;
    execFileSync('openssl', ['req', '-new', ...key, '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'r.csr'), '-outform', 'DER', '-subj', opensslSubject], { stdio: 'ignore' });
    return fs.readFileSync(path.join(dir, 'r.csr')).toString('base64');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function findCertificate(vault: Vault, name: string): StoredCertificate | undefined {
  return vault.certificates.get(name.toLowerCase());
}
