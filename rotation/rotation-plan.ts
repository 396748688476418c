import type { CertificateDetails } from '../preflight/findings';
import { day, type DeployedCertificate, shortThumbprint } from './deployed-certificates';

/**
 * What applying a certificate file will do to the certificate Key Vault holds, for the reviewer who
 * approves the plan: Terraform itself only says "contents (sensitive) changed".
 *
 * From the azurerm 4.55 source (internal/services/keyvault/key_vault_certificate_resource.go): of this
 * resource only `name` and `key_vault_id` force a new resource. A changed `certificate` block (a new file
 * or password) is an update that imports a new version under the same name; a changed
 * `certificate_policy` (key type, size or curve, content type, exportability) is also an update, which
 * imports the certificate again with the new policy, still as a new version; a change of
 * `lifetime_action` alone only patches the policy. Nothing here destroys and re-creates the certificate,
 * which purge protection would forbid; the table says when a new version also changes the policy.
 */
export type RotationKind = 'new' | 'unchanged' | 'rotating';

export interface RotationLine {
  readonly name: string;
  readonly kind: RotationKind;
  readonly from?: { thumbprint: string; expires?: string };
  readonly to: { thumbprint: string; expires: string };
  /** Set when the new version also changes Key Vault's policy for the certificate. */
  readonly policyChange?: string;
  /** Set when the new certificate expires before the one in place. */
  readonly expiresSooner?: boolean;
}

export interface IncomingCertificate {
  readonly name: string;
  /** The file's certificate as the pre-flight read it. */
  readonly details: CertificateDetails;
  /** The key the environment declares for the policy: "RSA 2048". */
  readonly declaredKey: string;
}

export function rotationPlan(incoming: readonly IncomingCertificate[], deployed: readonly DeployedCertificate[]): RotationLine[] {
  const byName = new Map(deployed.map((d) => [d.name.toLowerCase(), d]));
  return incoming.map(({ name, details, declaredKey }) => {
    const to = { thumbprint: details.thumbprint.toUpperCase(), expires: details.notAfter };
    const current = byName.get(name.toLowerCase())?.keyVault;
    if (!current) return { name, kind: 'new', to };
    const from = { thumbprint: current.thumbprint, expires: current.expires };
    const policyChange = current.key && current.key !== declaredKey ? `key ${current.key} → ${declaredKey}` : undefined;
    if (current.thumbprint === to.thumbprint) return { name, kind: 'unchanged', from, to, policyChange };
    const expiresSooner = current.expires !== undefined && Date.parse(to.expires) < Date.parse(current.expires);
    return { name, kind: 'rotating', from, to, policyChange, expiresSooner };
  });
}

/** "mtls-backend: rotating 8F3A…91C2 (expires 2026-12-01) → 1B7E…44D0 (expires 2027-12-01), a new version in place" */
export function describeRotation(line: RotationLine): string {
  const to = `${shortThumbprint(line.to.thumbprint)} (expires ${day(line.to.expires)})`;
  const policy = line.policyChange ? `, a new version that also changes Key Vault's policy (${line.policyChange})` : '';
  switch (line.kind) {
    case 'new':
      return `${line.name}: new ${to}`;
    case 'unchanged':
      return `${line.name}: unchanged ${to}${policy}`;
    case 'rotating':
      return `${line.name}: rotating ${shortThumbprint(line.from!.thumbprint)} (expires ${day(line.from!.expires)}) → ${to}${policy || ', a new version in place'}${line.expiresSooner ? '; EXPIRES SOONER than the certificate in place' : ''}`;
  }
}

/** The same as a Markdown table, for the run's summary page that the approver reads. */
export function rotationMarkdown(environment: string, lines: readonly RotationLine[]): string {
  const rows = lines.map((l) => {
    const from = l.from ? `${shortThumbprint(l.from.thumbprint)} (expires ${day(l.from.expires)})` : '—';
    const what = l.kind === 'rotating' ? (l.policyChange ? `new version, policy changes (${l.policyChange})` : 'new version in place') : l.kind;
    return `| ${l.name} | ${what}${l.expiresSooner ? ' ⚠ expires sooner' : ''} | ${from} | ${shortThumbprint(l.to.thumbprint)} (expires ${day(l.to.expires)}) |`;
  });
  return [`### Certificates: ${environment}`, '', '| certificate | change | in Key Vault now | from this run |', '|---|---|---|---|', ...rows, ''].join('\n');
}
