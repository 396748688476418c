// `npm run cert:rotation -- <env> [--state-json FILE] [--markdown FILE] [--allow-earlier-expiry]`: before a
// plan, what each certificate file about to be imported does to what Key Vault holds: new, unchanged, or
// rotating old → new thumbprint and expiry, and whether the new version also changes Key Vault's policy.
// The files come from the same variables as the plan (TF_VAR_<stem>_pfx_path and _pfx_password, or
// PEM_FILE_<stem>); the current certificates from `terraform show -json` of the stack's state (none: all new).
// A certificate that expires before the one in place is refused unless --allow-earlier-expiry (or
// ALLOW_EARLIER_EXPIRY=1) says it is meant.
// Exit codes: 0 fine; 1 a file fails the pre-flight or a rotation is refused; 2 usage or unreadable input.
import fs from 'node:fs';
import path from 'node:path';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { certificateSourceVariables } from '../constructs/client-certificate';
import { environments } from '../environments';
import { checkCertificate, formatFindings } from '../preflight/check-certificate';
import { type DeployedCertificate, readDeployedCertificates } from '../rotation/deployed-certificates';
import { describeRotation, type IncomingCertificate, rotationMarkdown, rotationPlan } from '../rotation/rotation-plan';
import { printable } from '../text/printable';

const USAGE = 'usage: npm run cert:rotation -- <env> [--state-json FILE] [--markdown FILE] [--allow-earlier-expiry]';

async function main(argv: readonly string[]): Promise<number> {
  let name: string | undefined;
  let stateFile: string | undefined;
  let markdownFile: string | undefined;
  let allowEarlier = process.env.ALLOW_EARLIER_EXPIRY === '1' || process.env.ALLOW_EARLIER_EXPIRY === 'true';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--state-json' && argv[i + 1] !== undefined) stateFile = argv[++i];
    else if (arg === '--markdown' && argv[i + 1] !== undefined) markdownFile = argv[++i];
    else if (arg === '--allow-earlier-expiry') allowEarlier = true;
    else if (!arg.startsWith('-') && name === undefined) name = arg;
    else return usage(`cert:rotation: unexpected argument ${printable(arg)}`);
  }
  if (!name) return usage('cert:rotation: name the environment');
  const [environment] = selectEnvironments(loadEnvironments(environments), [name]);

  let deployed: DeployedCertificate[] = [];
  if (stateFile) {
    try {
      deployed = readDeployedCertificates(stateFile);
    } catch (error) {
      process.stderr.write(`cert:rotation: ${(error as Error).message}\n`);
      return 2;
    }
  }

  const incoming: IncomingCertificate[] = [];
  let failed = false;
  for (const certificate of environment.certificates) {
    const pem = certificate.format === 'pem';
    const { file: fileVariable, password: passwordEnv } = certificateSourceVariables(certificate.name, certificate.format);
    const file = process.env[fileVariable];
    if (!file) {
      process.stderr.write(`cert:rotation: certificate ${certificate.name}: ${fileVariable} is not set. Fix: set it to the file about to be imported\n`);
      return 2;
    }
    const result = await checkCertificate({ path: path.resolve(file), format: pem ? 'pem' : 'pfx', password: passwordEnv ? process.env[passwordEnv] : undefined, passwordEnv });
    if (!result.ok || !result.details) {
      for (const line of formatFindings(result)) process.stdout.write(`${line}\n`);
      failed = true;
      continue;
    }
    const key = certificate.key ?? { keyType: 'RSA' as const, keySize: 2048 as const };
    incoming.push({ name: certificate.name, details: result.details, declaredKey: key.keyType === 'EC' ? `EC ${key.curve}` : `RSA ${key.keySize ?? 2048}` });
  }
  if (failed) return 1;

  const lines = rotationPlan(incoming, deployed);
  for (const line of lines) process.stdout.write(`${describeRotation(line)}\n`);
  if (markdownFile) fs.writeFileSync(markdownFile, rotationMarkdown(environment.name, lines));
  const sooner = lines.filter((l) => l.expiresSooner);
  if (sooner.length && !allowEarlier) {
    for (const l of sooner) {
      process.stderr.write(
        `error: ${l.name}: the new certificate expires ${l.to.expires.slice(0, 10)}, before the one in place (${l.from?.expires?.slice(0, 10)}). Fix: import the renewed certificate, or pass --allow-earlier-expiry (ALLOW_EARLIER_EXPIRY=1) if going back is intended\n`,
      );
    }
    return 1;
  }
  return 0;
}

function usage(message: string): number {
  process.stderr.write(`${message}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`error: ${printable(error.message.split('\n')[0])}\n`);
    process.exitCode = 2;
  },
);
