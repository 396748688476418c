// `npm run cert:check -- [--password-env NAME] [--warn-days N] [--json] <file>...`
// Checks client certificates before they reach Key Vault and API Management, which reject bad
// ones only at apply time and with misleading messages.
// Exit codes: 0 every file usable (warnings allowed), 1 a file has a problem, 2 usage error.
import { checkCertificate, DEFAULT_PASSWORD_ENV, DEFAULT_WARN_DAYS, formatReport, type CertificateCheckResult } from '../preflight/check-certificate';
import { parseCliArgs, USAGE } from '../preflight/cli-args';
import { rawArguments } from '../preflight/raw-arguments';

const EXIT_USABLE = 0;
const EXIT_PROBLEM = 1;
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCliArgs(argv, { passwordEnv: DEFAULT_PASSWORD_ENV, warnDays: DEFAULT_WARN_DAYS });
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\nThe password is read from the environment variable named by --password-env (default ${DEFAULT_PASSWORD_ENV}).\n`);
    return EXIT_USABLE;
  }
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`${parsed.message}\n`);
    return EXIT_USAGE;
  }

  const { files, passwordEnv, warnDays, json } = parsed.options;
  // Read from the environment only: an argument would land in shell history, `ps` output and CI logs.
  const password = process.env[passwordEnv];
  const results: CertificateCheckResult[] = [];
  // One at a time so the output follows the order of the arguments.
  const raw = rawArguments(argv);
  for (const path of files) {
    results.push(await checkCertificate({ path, pathBytes: raw.get(path), password, passwordEnv, warnDays }));
  }

  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : formatReport(results));
  return results.every((result) => result.ok) ? EXIT_USABLE : EXIT_PROBLEM;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    // checkCertificate turns every failure into a finding, so this is a bug; the error object is
    // not printed because it could carry file contents.
    process.stderr.write('cert:check: internal error while checking certificates.\n');
    process.exitCode = EXIT_PROBLEM;
  },
);
