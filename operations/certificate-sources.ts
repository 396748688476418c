import fs from 'node:fs';
import path from 'node:path';
import type { DeploymentManifest, ManifestCertificate } from '../config/deployment-manifest';
import { certificateSourceVariables } from '../constructs/certificate-names';
import { checkCertificate, formatFindings, type CertificateDetails } from '../preflight/check-certificate';
import { MAX_CERTIFICATE_FILE_BYTES, readInput } from '../preflight/read-input';
import type { DeployedCertificate } from '../rotation/deployed-certificates';
import type { DeclaredPolicy } from '../rotation/rotation-plan';
import { IMPORTED_CERTIFICATE_POLICY } from '../constructs/certificate-names';
import { pemToPfx } from './pem-to-pfx';
import { StepFailure } from './step-failure';

/**
 * The certificate files a plan imports, from the variables the pipelines and the workstation set:
 * TF_VAR_<stem>_pfx_path with TF_VAR_<stem>_pfx_password for a PFX, PEM_FILE_<stem> for a PEM bundle.
 * Each file is read once, and those bytes are what the pre-flight judges and what goes on to Terraform
 * (a private copy): a file swapped between the check and the plan cannot slip through.
 */
export interface CertificateSource {
  readonly certificate: ManifestCertificate;
  /** The path as given (for messages). */
  readonly file: string;
  readonly bytes: Buffer;
  /** A PFX's password; undefined for a PEM bundle (its key is unencrypted). */
  readonly password?: string;
}

/** Azure DevOps leaves "$(name)" in place, unexpanded, when a variable group lacks the variable. */
const unexpanded = (value: string | undefined) => value !== undefined && /^\$\(.*\)$/.test(value);

/** Every certificate's variables, each missing one named, before any file is opened. */
export function sourceVariables(manifest: DeploymentManifest, env: NodeJS.ProcessEnv): { certificate: ManifestCertificate; file: string; password?: string }[] {
  const missing: string[] = [];
  const found = manifest.certificates.map((certificate) => {
    const names = certificateSourceVariables(certificate.name, certificate.source);
    const file = env[names.file];
    if (!file || unexpanded(file)) missing.push(`${names.file} (the path of certificate ${certificate.name}'s ${certificate.source.toUpperCase()} file)`);
    if (names.password && (env[names.password] === undefined || unexpanded(env[names.password]))) missing.push(`${names.password} (its password; an empty PFX password is set as an empty value)`);
    return { certificate, file: file ?? '', ...(names.password ? { password: env[names.password] } : {}) };
  });
  if (missing.length) throw new StepFailure(`not set: ${missing.join(', ')}. Fix: set them (a pipeline: the environment's secure files and variable group, or its GitHub secrets)`);
  return found;
}

/**
 * GitHub: the certificates come as secrets, base64, named by the generated workflow
 * (APIMCERT_GITHUB_SECRETS "stem=PREFIX,...": <PREFIX>_PFX_BASE64 and <PREFIX>_PFX_PASSWORD, or
 * <PREFIX>_PEM_BASE64), read straight from the step's environment: no file of them is written but the
 * private copy Terraform reads. A missing secret arrives as an empty string, and is named with its GitHub
 * environment.
 */
function githubSources(manifest: DeploymentManifest, env: NodeJS.ProcessEnv): CertificateSource[] | undefined {
  if (!env.APIMCERT_GITHUB_SECRETS) return undefined;
  const prefixes = new Map(env.APIMCERT_GITHUB_SECRETS.split(',').map((pair) => pair.split('=') as [string, string]));
  const where = env.APIMCERT_GITHUB_ENVIRONMENT ? ` of GitHub environment ${env.APIMCERT_GITHUB_ENVIRONMENT}` : '';
  const missing: string[] = [];
  const sources = manifest.certificates.map((certificate) => {
    const prefix = prefixes.get(certificate.stem) ?? '';
    const fileSecret = `${prefix}_${certificate.source.toUpperCase()}_BASE64`;
    const encoded = (env[fileSecret] ?? '').replace(/\s+/g, '');
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(prefix) || bytes.length === 0) missing.push(`${fileSecret} (missing, empty or not base64)`);
    else if (bytes.length > MAX_CERTIFICATE_FILE_BYTES) missing.push(`${fileSecret} (more than 1 MiB: not a certificate)`);
    const passwordSecret = certificate.source === 'pfx' ? `${prefix}_PFX_PASSWORD` : undefined;
    // GitHub stores no empty secret, and gives a missing one as an empty string.
    if (passwordSecret && !env[passwordSecret]) missing.push(passwordSecret);
    return { certificate, file: `secret ${fileSecret}`, bytes, ...(passwordSecret ? { password: env[passwordSecret] ?? '' } : {}) };
  });
  if (missing.length) throw new StepFailure(`the secrets ${missing.join(', ')}${where} are needed. Fix: add them (docs/deploying.md, "GitHub Actions")`);
  return sources;
}

export async function readCertificateSources(manifest: DeploymentManifest, env: NodeJS.ProcessEnv): Promise<CertificateSource[]> {
  const fromGithub = githubSources(manifest, env);
  if (fromGithub) return fromGithub;
  const sources: CertificateSource[] = [];
  for (const { certificate, file, password } of sourceVariables(manifest, env)) {
    const read = await readInput(file);
    if (read.kind === 'failed') throw new StepFailure(`${file}: ${read.finding.message} Fix: ${read.finding.fix} (certificate ${certificate.name})`);
    sources.push({ certificate, file, bytes: read.bytes, ...(password !== undefined ? { password } : {}) });
  }
  return sources;
}

export interface CheckedSource extends CertificateSource {
  readonly details: CertificateDetails;
}

/** The pre-flight on the bytes read: one line per finding (or an "ok" line) for the caller to print, and whether one is an error. */
export async function checkSources(sources: readonly CertificateSource[]): Promise<{ checked: CheckedSource[]; lines: string[]; failed: boolean }> {
  const lines: string[] = [];
  const checked: CheckedSource[] = [];
  let failed = false;
  for (const source of sources) {
    const { certificate } = source;
    const passwordEnv = certificateSourceVariables(certificate.name, certificate.source).password ?? 'PFX_PASSWORD';
    const result = await checkCertificate({ path: source.file, bytes: source.bytes, format: certificate.source, password: source.password, passwordEnv });
    const findings = formatFindings(result);
    lines.push(...(findings.length ? findings : [`${source.file}: ok (certificate ${certificate.name})`]));
    if (!result.ok || !result.details) {
      failed = true;
      continue;
    }
    checked.push({ ...source, details: result.details });
  }
  return { checked, lines, failed };
}

export function declaredPolicy(certificate: ManifestCertificate): DeclaredPolicy {
  return { key: certificate.key, ...IMPORTED_CERTIFICATE_POLICY };
}

/**
 * What Terraform gets for a certificate: the PFX bytes and password.
 *  - The file's thumbprint is the one Key Vault holds (rotation "unchanged") and the state keeps what was
 *    imported: exactly that, so Terraform sees its own inputs again and plans no change, even for a file
 *    exported afresh (new salts) or a PEM converted by an older release.
 *  - A PFX: its bytes and password as given.
 *  - A PEM bundle: converted deterministically (pem-to-pfx.ts).
 */
export function terraformInputs(source: CheckedSource, deployed: DeployedCertificate | undefined): { pfx: Buffer; password: string; reused: boolean } {
  const current = deployed?.keyVault;
  if (current?.imported && current.thumbprint === source.details.thumbprint.toUpperCase()) {
    return { pfx: Buffer.from(current.imported.contents, 'base64'), password: current.imported.password, reused: true };
  }
  if (source.certificate.source === 'pem') {
    const converted = pemToPfx(source.bytes.toString('utf8'), source.file);
    return { pfx: converted.pfx, password: converted.password, reused: false };
  }
  return { pfx: source.bytes, password: source.password ?? '', reused: false };
}

/** Writes each certificate's Terraform input into `dir` (owner-only) and returns the TF_VAR_ settings that name them. */
export function stageCertificates(
  sources: readonly CheckedSource[],
  deployed: readonly DeployedCertificate[],
  dir: string,
  pathFor: (stem: string) => string,
): { variables: Record<string, string>; reused: string[] } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const byName = new Map(deployed.map((d) => [d.name.toLowerCase(), d]));
  const variables: Record<string, string> = {};
  const reused: string[] = [];
  for (const source of sources) {
    const { stem, name } = source.certificate;
    const inputs = terraformInputs(source, byName.get(name.toLowerCase()));
    if (inputs.reused) reused.push(name);
    fs.writeFileSync(path.join(dir, `${stem}.pfx`), inputs.pfx, { mode: 0o600 });
    variables[`TF_VAR_${stem}_pfx_path`] = pathFor(stem);
    variables[`TF_VAR_${stem}_pfx_password`] = inputs.password;
  }
  return { variables, reused };
}
