import type { CertificateDetails } from '../preflight/findings';
import { day, type DeployedCertificate, shortThumbprint } from './deployed-certificates';

/**
 * What applying a certificate file will do to the certificate Key Vault holds, for the reviewer who
 * approves the plan (Terraform itself only says "contents (sensitive) changed"), and which changes are
 * refused before Terraform plans them.
 *
 * From the azurerm 4.55.0 source (internal/services/keyvault/key_vault_certificate_resource.go): only
 * `name` and `key_vault_id` force a new resource (L59-66). In an update (L583-680):
 *  - a changed `certificate` block (a new file or password) is an ImportCertificate of a new version under
 *    the same name, sending only the contents and password (L603-626);
 *  - a `certificate_policy` that differs in anything but `lifetime_action` (key type, size or curve,
 *    exportability, key reuse, content type) makes azurerm call CreateCertificate with the new policy
 *    (L628-658, createCertificate L413-469): Key Vault generates a new key and a signing request, and for
 *    an imported certificate (issuer Unknown) that version stays pending, never merged, while the poller
 *    reports success (L692-696). APIM then cannot be refreshed to it. So a policy change is refused here,
 *    before the plan; a new key is a new certificate name (docs/constructs.md, "Changing a certificate's key");
 *  - a change of `lifetime_action` alone is a PATCH of the certificate (L660-677).
 * A file whose key differs from the declared policy would lead to the same place (the next plan sees
 * the policy differ), so it is refused too.
 */
export type RotationKind = 'new' | 'unchanged' | 'rotating';

/** The parts of Key Vault's certificate policy the stack declares (constructs/client-certificate.ts). */
export interface DeclaredPolicy {
  /** "RSA 2048", "EC P-256" */
  readonly key: string;
  readonly contentType: string;
  readonly exportable: boolean;
  readonly reuseKey: boolean;
}

export interface RotationLine {
  readonly name: string;
  readonly kind: RotationKind;
  readonly from?: { readonly thumbprint: string | null; readonly expires: string | null };
  readonly to: { readonly thumbprint: string; readonly expires: string };
  /** Set when the declared policy differs from the one Key Vault holds: "key RSA 2048 → RSA 3072". */
  readonly policyChange?: string;
  /** Set when the file's key is not the declared one: "the file's key is RSA 3072, the declared RSA 2048". */
  readonly keyMismatch?: string;
  /** Set when the new certificate expires before the one in place. */
  readonly expiresSooner?: boolean;
  /** Set when the expiry of the certificate in place cannot be read: the earlier-expiry guard cannot judge. */
  readonly expiryUnknown?: boolean;
}

export interface IncomingCertificate {
  readonly name: string;
  /** The file's certificate as the pre-flight read it. */
  readonly details: CertificateDetails;
  readonly declared: DeclaredPolicy;
}

export function fileKey(details: CertificateDetails): string {
  return details.keyType === 'RSA' ? `RSA ${details.keySize}` : details.keyType === 'EC' ? `EC ${details.curve}` : details.keyType;
}

/** What of the declared policy differs from the policy Key Vault holds, as "key RSA 2048 → RSA 3072, ..."; undefined when nothing does. */
function policyDifference(current: NonNullable<DeployedCertificate['keyVault']>, declared: DeclaredPolicy): string | undefined {
  const parts: string[] = [];
  const show = (value: unknown) => (value === null || value === undefined ? 'unreadable in the state' : String(value));
  if (current.key !== declared.key) parts.push(`key ${show(current.key)} → ${declared.key}`);
  if (current.contentType !== declared.contentType) parts.push(`content type ${show(current.contentType)} → ${declared.contentType}`);
  if (current.exportable !== declared.exportable) parts.push(`exportable ${show(current.exportable)} → ${declared.exportable}`);
  if (current.reuseKey !== declared.reuseKey) parts.push(`key reuse ${show(current.reuseKey)} → ${declared.reuseKey}`);
  return parts.length ? parts.join(', ') : undefined;
}

export function rotationPlan(incoming: readonly IncomingCertificate[], deployed: readonly DeployedCertificate[]): RotationLine[] {
  const byName = new Map(deployed.map((d) => [d.name.toLowerCase(), d]));
  return incoming.map(({ name, details, declared }) => {
    const to = { thumbprint: details.thumbprint.toUpperCase(), expires: details.notAfter };
    const actual = fileKey(details);
    const keyMismatch = actual !== declared.key ? `the file's key is ${actual}, the declared ${declared.key}` : undefined;
    const current = byName.get(name.toLowerCase())?.keyVault;
    if (!current) return { name, kind: 'new', to, ...(keyMismatch ? { keyMismatch } : {}) };
    const from = { thumbprint: current.thumbprint, expires: current.expires };
    const policyChange = policyDifference(current, declared);
    const extra = { ...(policyChange ? { policyChange } : {}), ...(keyMismatch ? { keyMismatch } : {}) };
    if (current.thumbprint === to.thumbprint) return { name, kind: 'unchanged', from, to, ...extra };
    const expiryUnknown = current.expires === null || !Number.isFinite(Date.parse(to.expires));
    const expiresSooner = !expiryUnknown && Date.parse(to.expires) < Date.parse(current.expires as string);
    return { name, kind: 'rotating', from, to, ...extra, ...(expiresSooner ? { expiresSooner } : {}), ...(expiryUnknown ? { expiryUnknown } : {}) };
  });
}

export interface RotationOverrides {
  /** ALLOW_EARLIER_EXPIRY / --allow-earlier-expiry: going back to an older certificate is meant. */
  readonly allowEarlierExpiry: boolean;
  /** ALLOW_POLICY_CHANGE / --allow-policy-change: these certificates' policy change is meant, CreateCertificate included. */
  readonly allowPolicyChange: ReadonlySet<string>;
}

export const CHANGING_KEYS_DOC = 'docs/constructs.md, "Changing a certificate\'s key"';

/** One line per refused change, each naming the certificate, what was found and the way out. Empty: nothing refused. */
export function refusals(lines: readonly RotationLine[], overrides: RotationOverrides): string[] {
  const refused: string[] = [];
  for (const l of lines) {
    const policyAllowed = allowedBy(l, overrides).policy !== undefined;
    if (l.keyMismatch && !policyAllowed) {
      refused.push(
        `${l.name}: ${l.keyMismatch}. Key Vault would hold a policy that does not match the file, and the next plan would have azurerm call CreateCertificate (a new Key Vault key, a pending version). Fix: import a file with the declared key, or import this one under a new certificate name (${CHANGING_KEYS_DOC})`,
      );
    }
    if (l.policyChange && !policyAllowed) {
      refused.push(
        `${l.name}: the policy changes (${l.policyChange}). azurerm answers that with CreateCertificate: Key Vault generates a new key and a signing request, the new version stays pending and APIM cannot use it. Fix: keep the policy and import the renewed file under the same name, or give the new key a new certificate name and move the fragment and backend to it (${CHANGING_KEYS_DOC}); ALLOW_POLICY_CHANGE=${l.name} (--allow-policy-change ${l.name}) only if a generated key is really meant`,
      );
    }
    if (l.expiryUnknown && !overrides.allowEarlierExpiry) {
      refused.push(`${l.name}: the expiry of the certificate in Key Vault cannot be read from the state, so an earlier expiry cannot be ruled out. Fix: check the state (npm run cert:report), or pass --allow-earlier-expiry (ALLOW_EARLIER_EXPIRY=1) if this file is meant whatever it replaces`);
    }
    if (l.expiresSooner && !overrides.allowEarlierExpiry) {
      refused.push(`${l.name}: the new certificate expires ${day(l.to.expires)}, before the one in place (${day(l.from?.expires)}). Fix: import the renewed certificate, or pass --allow-earlier-expiry (ALLOW_EARLIER_EXPIRY=1) if going back is intended`);
    }
  }
  return refused;
}

/** What a run's overrides let through for one line: said beside the warning, so a reader sees it was allowed. */
export function allowedBy(line: RotationLine, overrides: RotationOverrides | undefined): { policy?: string; expiry?: string } {
  if (!overrides) return {};
  const policy = overrides.allowPolicyChange.has(line.name.toLowerCase()) || overrides.allowPolicyChange.has('*');
  return { ...(policy ? { policy: 'ALLOW_POLICY_CHANGE' } : {}), ...(overrides.allowEarlierExpiry ? { expiry: 'ALLOW_EARLIER_EXPIRY' } : {}) };
}

/** "mtls-backend: rotating 8F3A…91C2 (expires 2026-12-01) → 1B7E…44D0 (expires 2027-12-01), a new version in place" */
export function describeRotation(line: RotationLine, overrides?: RotationOverrides): string {
  const to = `${shortThumbprint(line.to.thumbprint)} (expires ${day(line.to.expires)})`;
  const allowed = allowedBy(line, overrides);
  const verdict = (by: string | undefined) => (by ? `allowed by ${by}` : 'refused unless allowed');
  const warnings = [
    line.policyChange ? `POLICY CHANGE (${line.policyChange}): ${verdict(allowed.policy)}` : '',
    line.keyMismatch ? `KEY MISMATCH (${line.keyMismatch}): ${verdict(allowed.policy)}` : '',
    line.expiresSooner ? `EXPIRES SOONER than the certificate in place${allowed.expiry ? `: allowed by ${allowed.expiry}` : ''}` : '',
    line.expiryUnknown ? `the expiry in place is UNKNOWN${allowed.expiry ? `: allowed by ${allowed.expiry}` : ''}` : '',
  ].filter(Boolean);
  const tail = warnings.length ? `; ${warnings.join('; ')}` : '';
  switch (line.kind) {
    case 'new':
      return `${line.name}: new ${to}${tail}`;
    case 'unchanged':
      return `${line.name}: unchanged ${to}, nothing to import${tail}`;
    case 'rotating':
      return `${line.name}: rotating ${shortThumbprint(line.from?.thumbprint)} (expires ${day(line.from?.expires)}) → ${to}, a new version of the same certificate${tail}`;
  }
}
