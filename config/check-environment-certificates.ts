import { certificateSourceVariables } from '../constructs/certificate-names';
import type { CertificateCheckResult } from '../preflight/check-certificate';
import type { CertificateConfig, EnvironmentConfig } from './environment-config';

export interface EnvironmentCertificateCheck {
  /** One line per problem, per certificate checked, and per certificate skipped for want of a file. */
  readonly lines: readonly string[];
  readonly failed: boolean;
}

/**
 * The synth-time pre-flight: every certificate whose file the environment names (a PFX in TF_VAR_<stem>_pfx_path
 * with its password in TF_VAR_<stem>_pfx_password, or a PEM bundle in PEM_FILE_<stem>) is opened and judged by the same checks as `npm run cert:check`.
 * A certificate without its variable is skipped and said so: synth never needs the file. Environments
 * that share a certificate name share its variables: the file is opened once and compared with each
 * environment's declared key.
 */
export async function checkEnvironmentCertificates(
  environments: readonly EnvironmentConfig[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvironmentCertificateCheck> {
  const lines: string[] = [];
  let failed = false;
  const checkedFiles = new Map<string, CertificateCheckResult>();
  for (const environment of environments) {
    for (const certificate of environment.certificates) {
      const checked = await checkOne(environment.name, certificate, env, checkedFiles);
      lines.push(...checked.lines);
      failed ||= checked.failed;
    }
  }
  return { lines, failed };
}

async function checkOne(
  environmentName: string,
  certificate: CertificateConfig,
  env: NodeJS.ProcessEnv,
  checkedFiles: Map<string, CertificateCheckResult>,
): Promise<EnvironmentCertificateCheck> {
  const { name, format = 'pfx' } = certificate;
  const { file: pathVariable, password: passwordVariable } = certificateSourceVariables(name, format);
  const path = env[pathVariable];
  const seenBefore = checkedFiles.get(pathVariable);
  if (!path) return { lines: seenBefore ? [] : [`certificate ${name}: not checked (${pathVariable} is not set)`], failed: false };
  // Loaded only when there is a file to check: the PKCS#12 and X.509 parsers are a third of a synth's
  // start-up, and most synths (every pipeline's synth stage) have no certificate file at all.
  const { checkCertificate, formatFindings } = await import('../preflight/check-certificate');
  // The file is opened once; each environment that uses it is held to its own declared key.
  const result = seenBefore ?? (await checkCertificate({ path, format, password: passwordVariable ? env[passwordVariable] : undefined, passwordEnv: passwordVariable }));
  checkedFiles.set(pathVariable, result);
  const declared = declaredKeyMismatch(environmentName, certificate, result);
  const findings = [...(seenBefore ? [] : formatFindings(result)), ...(declared ? [declared] : [])];
  const ok = seenBefore ? [] : [`${path}: ok (certificate ${name})`];
  return { lines: findings.length ? findings : ok, failed: !result.ok || declared !== undefined };
}

/**
 * The key the file holds against the key the environment declares for the certificate policy
 * (default RSA 2048): a policy that names another key than the one imported misleads everyone who
 * reads it, and Key Vault renewals would use it.
 */
function declaredKeyMismatch(environmentName: string, certificate: CertificateConfig, result: CertificateCheckResult): string | undefined {
  const details = result.details;
  if (!details) return undefined;
  const key = certificate.key ?? { keyType: 'RSA', keySize: 2048 };
  const declared = key.keyType === 'RSA' ? `RSA ${key.keySize ?? 2048}` : `EC ${key.curve}`;
  const actual = details.keyType === 'RSA' ? `RSA ${details.keySize}` : details.keyType === 'EC' ? `EC ${details.curve}` : details.keyType;
  if (declared === actual) return undefined;
  const fix = details.keyType === 'RSA' ? `{ keyType: 'RSA', keySize: ${details.keySize} }` : `{ keyType: 'EC', curve: '${details.curve}' }`;
  return `${result.file}: error: the file's key is ${actual}, but environments/${environmentName}.ts declares ${declared} for certificate ${certificate.name}. Fix: set its key to ${fix}, or use a file with the declared key.`;
}
