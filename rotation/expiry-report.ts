import { day, type DeployedCertificate, shortThumbprint } from './deployed-certificates';

/** One certificate of a deployed stack: Key Vault's current version, and whether APIM serves it. */
export interface ExpiryReportLine {
  readonly name: string;
  readonly keyVaultThumbprint: string;
  readonly expires: string | null;
  readonly daysLeft: number | null;
  readonly apimThumbprint: string | null;
  /** APIM's certificate of the same name has another thumbprint than Key Vault's current version. */
  readonly apimBehind: boolean;
  readonly status: 'ok' | 'expiring' | 'expired' | 'apim-behind';
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function expiryReport(deployed: readonly DeployedCertificate[], now: Date, warnDays: number): ExpiryReportLine[] {
  return deployed
    .filter((d) => d.keyVault)
    .map((d) => {
      const kv = d.keyVault!;
      const expires = kv.expires ?? null;
      const daysLeft = expires ? Math.floor((Date.parse(expires) - now.getTime()) / DAY_MS) : null;
      const apimThumbprint = d.apiManagement?.thumbprint ?? null;
      const apimBehind = apimThumbprint !== null && apimThumbprint !== kv.thumbprint;
      const status = daysLeft !== null && daysLeft < 0 ? 'expired' : daysLeft !== null && daysLeft <= warnDays ? 'expiring' : apimBehind ? 'apim-behind' : 'ok';
      return { name: d.name, keyVaultThumbprint: kv.thumbprint, expires, daysLeft, apimThumbprint, apimBehind, status };
    });
}

/** "mtls-backend: Key Vault 1B7E…44D0, expires 2027-12-01 (369 days left); APIM serves it" */
export function describeExpiry(line: ExpiryReportLine): string {
  const left = line.daysLeft === null ? 'expiry unknown' : line.daysLeft < 0 ? `EXPIRED ${-line.daysLeft} days ago` : `${line.daysLeft} days left`;
  const kv = `${line.name}: Key Vault ${shortThumbprint(line.keyVaultThumbprint)}, expires ${day(line.expires ?? undefined)} (${left})`;
  const apim =
    line.apimThumbprint === null
      ? 'no APIM certificate of this name in the state'
      : line.apimBehind
        ? `APIM STILL SERVES ${shortThumbprint(line.apimThumbprint)}, an older version: refresh it (pipelines/scripts/apim-refresh.sh)`
        : 'APIM serves it';
  const flag = line.status === 'expiring' ? ' — renew it soon' : line.status === 'expired' ? ' — renew it now' : '';
  return `${kv}; ${apim}${flag}`;
}
