import type { CertificateCheckResult, CertificateDetails, Finding } from './findings';
import { CLIENT_AUTH_EKU } from './inspect-certificate';

// Turns check results into text. Every problem is a single self-contained line (file, severity,
// what is wrong, how to fix it) so it reads the same in a terminal, a CI log or grep output,
// and synth can print exactly the lines the CLI prints.

export function formatFinding(file: string, finding: Finding): string {
  return `${file}: ${finding.severity}: ${finding.message} Fix: ${finding.fix}`;
}

/** One line per finding, errors first. */
export function formatFindings(result: CertificateCheckResult): string[] {
  return result.findings.map((finding) => formatFinding(result.file, finding));
}

/** The certificate summary, one "label  value" line each, indented under the file's header line. */
export function formatDetails(details: CertificateDetails): string[] {
  const rows: Array<[string, string]> = [
    ['subject', details.subject],
    ['issuer', details.issuer],
    ['thumbprint', `${details.thumbprint} (SHA-1)`],
    ['serial', details.serialNumber],
    ['not before', utc(details.notBefore)],
    ['not after', `${utc(details.notAfter)} (${daysLeft(details.daysLeft)})`],
    ['key', keyDescription(details)],
    ['private key', details.hasPrivateKey ? 'present' : 'missing'],
    ['client auth', clientAuth(details)],
    ['chain', details.chainLength === null ? 'not counted' : `${details.chainLength} certificate${details.chainLength === 1 ? '' : 's'} (leaf included)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

/** The CLI's human-readable output for a whole run. */
export function formatReport(results: readonly CertificateCheckResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${result.file}: ${verdict(result)}`);
    if (result.details) lines.push(...formatDetails(result.details));
    lines.push(...formatFindings(result));
  }
  if (results.length > 1) {
    const usable = results.filter((result) => result.ok).length;
    lines.push(`${results.length} files checked: ${usable} usable, ${results.length - usable} with problems.`);
  }
  return `${lines.join('\n')}\n`;
}

function verdict(result: CertificateCheckResult): string {
  const errors = result.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const counts = [plural(errors, 'error'), plural(warnings, 'warning')].filter(Boolean).join(', ');
  const format = result.details ? ` ${result.details.format.toUpperCase()}` : '';
  return `${result.ok ? `usable${format}` : `NOT usable${format}`}${counts ? ` (${counts})` : ''}`;
}

function plural(count: number, noun: string): string {
  if (count === 0) return '';
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function utc(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

function daysLeft(days: number): string {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  return `${days} day${days === 1 ? '' : 's'} left`;
}

function keyDescription(details: CertificateDetails): string {
  if (details.keySize !== undefined) return `${details.keyType} ${details.keySize}`;
  if (details.curve !== undefined) return `${details.keyType} ${details.curve}`;
  return details.keyType;
}

function clientAuth(details: CertificateDetails): string {
  if (details.clientAuthEku) return `yes (EKU ${CLIENT_AUTH_EKU})`;
  if (details.extendedKeyUsage === null) return 'no (no Extended Key Usage extension)';
  return `no (EKU lists ${details.extendedKeyUsage.join(', ')})`;
}
