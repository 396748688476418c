// `npm run cert:report -- --state-json FILE [--warn-days N] [--json]`: the certificates of a deployed
// stack, read from `terraform show -json` of its state: Key Vault's current version, its expiry, and
// whether APIM serves that version.
// Exit codes: 0 all fine; 1 a certificate is expired, expires within --warn-days (default 30), or APIM
// serves an older version; 2 a usage error or a file that cannot be read.
import { readDeployedCertificates } from '../rotation/deployed-certificates';
import { describeExpiry, expiryReport } from '../rotation/expiry-report';
import { printable } from '../text/printable';

const USAGE = 'usage: npm run cert:report -- --state-json FILE [--warn-days N] [--json]';

function main(argv: readonly string[]): number {
  let file: string | undefined;
  let warnDays = 30;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--state-json' && argv[i + 1] !== undefined) file = argv[++i];
    else if (arg === '--warn-days' && /^\d+$/.test(argv[i + 1] ?? '')) warnDays = Number(argv[++i]);
    else return usage(`cert:report: ${arg === '--warn-days' ? '--warn-days needs a whole number of days' : `unexpected argument ${printable(arg)}`}`);
  }
  if (!file) return usage('cert:report: --state-json FILE is required (terraform show -json > FILE, in the stack directory)');
  let deployed;
  try {
    deployed = readDeployedCertificates(file);
  } catch (error) {
    process.stderr.write(`cert:report: ${(error as Error).message}\n`);
    return 2;
  }
  const lines = expiryReport(deployed, new Date(), warnDays);
  if (json) process.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
  else process.stdout.write(lines.length ? `${lines.map(describeExpiry).join('\n')}\n` : 'no certificates in this state\n');
  return lines.some((l) => l.status !== 'ok') ? 1 : 0;
}

function usage(message: string): number {
  process.stderr.write(`${message}\n${USAGE}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
