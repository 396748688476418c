import { day, shortThumbprint } from './deployed-certificates';

/**
 * The expiry report's verdict on each declared certificate, failing closed: exit 0 only when every
 * declared certificate was found, read and is fine. A certificate that cannot be judged (not in Key
 * Vault or the state, a thumbprint or expiry that is not believed, two of one name) is exit 2 and named;
 * one that needs action (expired, expiring within the warning days, APIM serving an older version) is
 * exit 1. The statuses decide; no text from outside does.
 */
export interface CertificateObservation {
  readonly name: string;
  /** Key Vault's current version; null when there is none of this name. */
  readonly keyVault: { readonly thumbprint: string | null; readonly expires: string | null } | null;
  /** What API Management serves under the name; null when it has none. */
  readonly apiManagement: { readonly thumbprint: string | null; readonly expires: string | null } | null;
  /** Why a value could not be believed (already escaped). */
  readonly problems: readonly string[];
}

export type ExpiryStatus = 'ok' | 'expiring' | 'expired' | 'apim-behind' | 'apim-missing' | 'missing' | 'unreadable';

export interface ExpiryReportLine {
  readonly name: string;
  readonly status: ExpiryStatus;
  readonly keyVaultThumbprint: string | null;
  readonly expires: string | null;
  readonly daysLeft: number | null;
  readonly apimThumbprint: string | null;
  readonly problems: readonly string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const NEEDS_ACTION: ReadonlySet<ExpiryStatus> = new Set(['expiring', 'expired', 'apim-behind', 'apim-missing']);
const CANNOT_TELL: ReadonlySet<ExpiryStatus> = new Set(['missing', 'unreadable']);

/** One line per declared certificate, in the declared order. */
export function expiryReport(declared: readonly string[], observed: readonly CertificateObservation[], now: Date, warnDays: number): ExpiryReportLine[] {
  const byName = new Map<string, CertificateObservation[]>();
  for (const o of observed) byName.set(o.name.toLowerCase(), [...(byName.get(o.name.toLowerCase()) ?? []), o]);
  const seen = new Set<string>();
  return declared.map((name) => {
    const key = name.toLowerCase();
    const matches = byName.get(key) ?? [];
    const duplicate = seen.has(key) || matches.length > 1;
    seen.add(key);
    const o = matches[0];
    const base = { name, keyVaultThumbprint: o?.keyVault?.thumbprint ?? null, expires: o?.keyVault?.expires ?? null, apimThumbprint: o?.apiManagement?.thumbprint ?? null };
    const problems = [...(o?.problems ?? []), ...(duplicate ? [`${name}: declared or found more than once`] : [])];
    if (!o || !o.keyVault) return { ...base, daysLeft: null, status: 'missing', problems: [...problems, `${name}: Key Vault holds no certificate of this name`] };
    if (duplicate || problems.length || base.keyVaultThumbprint === null || base.expires === null) {
      return { ...base, daysLeft: null, status: 'unreadable', problems: problems.length ? problems : [`${name}: Key Vault's thumbprint or expiry could not be read`] };
    }
    const daysLeft = Math.floor((Date.parse(base.expires) - now.getTime()) / DAY_MS);
    const apimMissing = o.apiManagement === null;
    const apimBehind = !apimMissing && base.apimThumbprint !== base.keyVaultThumbprint;
    const status: ExpiryStatus = daysLeft < 0 ? 'expired' : daysLeft <= warnDays ? 'expiring' : apimMissing ? 'apim-missing' : apimBehind ? 'apim-behind' : 'ok';
    return { ...base, daysLeft, status, problems };
  });
}

/** 0 fine, 1 action needed, 2 the report could not judge a certificate (worst wins). */
export function reportExitCode(lines: readonly ExpiryReportLine[]): 0 | 1 | 2 {
  if (lines.length === 0 || lines.some((l) => CANNOT_TELL.has(l.status))) return 2;
  return lines.some((l) => NEEDS_ACTION.has(l.status)) ? 1 : 0;
}

/** "mtls-backend: Key Vault 1B7E…44D0, expires 2027-12-01 (369 days left); APIM serves it" (caller escapes the line) */
export function describeExpiry(line: ExpiryReportLine): string {
  if (line.status === 'missing' || line.status === 'unreadable') return `${line.name}: NO REPORT: ${line.problems.join('; ')}`;
  const left = line.daysLeft === null ? 'expiry unknown' : line.daysLeft < 0 ? `EXPIRED ${-line.daysLeft} days ago` : `${line.daysLeft} days left`;
  const kv = `${line.name}: Key Vault ${shortThumbprint(line.keyVaultThumbprint)}, expires ${day(line.expires)} (${left})`;
  const apim =
    line.status === 'apim-missing'
      ? 'API Management has NO certificate of this name'
      : line.apimThumbprint !== line.keyVaultThumbprint
        ? `APIM STILL SERVES ${shortThumbprint(line.apimThumbprint)}, an older version: refresh it (npm run apim:refresh)`
        : 'APIM serves it';
  const flag = line.status === 'expiring' ? ' — renew it soon' : line.status === 'expired' ? ' — renew it now' : '';
  return `${kv}; ${apim}${flag}`;
}
