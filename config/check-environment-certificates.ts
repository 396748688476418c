import { certificateVariableNames } from '../constructs/client-certificate';
import { checkCertificate, formatFindings } from '../preflight/check-certificate';
import type { EnvironmentConfig } from './environment-config';

export interface EnvironmentCertificateCheck {
  /** One line per problem, per certificate checked, and per certificate skipped for want of a file. */
  readonly lines: readonly string[];
  readonly failed: boolean;
}

/**
 * The synth-time pre-flight: every certificate whose file the environment names (TF_VAR_<stem>_<format>_path,
 * password from TF_VAR_<stem>_pfx_password) is opened and judged by the same checks as `npm run cert:check`.
 * A certificate without its variable is skipped and said so: synth never needs the file. Environments
 * that share a certificate name share its variables, so each file is checked once.
 */
export async function checkEnvironmentCertificates(
  environments: readonly EnvironmentConfig[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvironmentCertificateCheck> {
  const lines: string[] = [];
  let failed = false;
  const seen = new Set<string>();
  for (const { name, format = 'pfx' } of environments.flatMap((e) => e.certificates)) {
    const names = certificateVariableNames(name, format);
    const pathVariable = `TF_VAR_${names.path}`;
    if (seen.has(pathVariable)) continue;
    seen.add(pathVariable);
    const path = env[pathVariable];
    if (!path) {
      lines.push(`certificate ${name}: not checked (${pathVariable} is not set)`);
      continue;
    }
    const passwordVariable = names.password && `TF_VAR_${names.password}`;
    const result = await checkCertificate({
      path,
      format,
      password: passwordVariable ? env[passwordVariable] : undefined,
      passwordEnv: passwordVariable,
    });
    failed ||= !result.ok;
    const findings = formatFindings(result);
    lines.push(...(findings.length ? findings : [`${path}: ok (certificate ${name})`]));
  }
  return { lines, failed };
}
