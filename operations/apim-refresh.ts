import fs from 'node:fs';
import path from 'node:path';
import type { DeploymentManifest } from '../config/deployment-manifest';
import { shortThumbprint } from '../rotation/deployed-certificates';
import { type AzureCli, AzureCliError } from './azure-cli';
import { Deadline, systemClock, type Clock } from './deadline';
import { APIM_API_VERSION, apimPath, apimVersion, keyVaultVersion } from './live-certificates';
import { resolveAzureContext } from './azure-context';
import { makePrivateDirectory } from './private-directory';
import { readStackManifest } from './stack-manifest';
import type { StepLog } from './step-log';
import { StepFailure } from './step-failure';
import type { StepTools } from './step-tools';

/**
 * After an apply: makes API Management serve Key Vault's current version of every certificate now, and
 * proves it, instead of waiting for APIM's own polling of the versionless secret (up to four hours).
 * Per certificate of the stack:
 *   1. Key Vault's current thumbprint (data plane);
 *   2. APIM's Refresh Secret operation on its certificate (Certificate_RefreshSecret, POST
 *      .../certificates/{id}/refreshSecret, apimcertificates.json), then APIM's thumbprint read back until it
 *      equals Key Vault's;
 *   3. when the certificate has a backend: the backend presents certificates by thumbprint only
 *      (Backend_Update, PATCH properties.credentials.certificate, apimbackends.json), so it is pointed at the
 *      new one and read back.
 * The whole step has one time bound (APIM_REFRESH_TIMEOUT_SECONDS, default 300), and every az call gets at
 * most what is left of it. A certificate that fails is named and the others go on; the step fails at the end.
 * The ids come from the stack's manifest and the subscription, not from Terraform's output: the step needs
 * no state access.
 */
export interface ApimRefreshOptions {
  readonly az: AzureCli;
  readonly manifest: DeploymentManifest;
  readonly log: StepLog;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  /** A private directory for the PATCH body (az rest --body @file: no JSON on a command line). */
  readonly workDir: string;
}

export async function refreshApimCertificates(options: ApimRefreshOptions): Promise<{ failed: string[] }> {
  const { manifest, log } = options;
  const clock = options.clock ?? systemClock;
  const deadline = new Deadline(options.timeoutMs ?? 300_000, clock);
  const az = options.az.bounded(deadline);
  const poll = options.pollMs ?? 15_000;
  const failed: string[] = [];
  const base = apimPath(az, manifest);
  for (const certificate of manifest.certificates) {
    const name = certificate.name;
    try {
      const want = (await keyVaultVersion(az, manifest, name))?.thumbprint;
      if (!want) {
        log.error(`${name}: Key Vault has no readable current version of the certificate (has the stack been applied?)`);
        failed.push(name);
        continue;
      }
      await az.json(['rest', '--method', 'post', '--url', `${base}/certificates/${name}/refreshSecret?api-version=${APIM_API_VERSION}`], `asking API Management to refresh certificate ${name} from Key Vault`);
      // Read until APIM serves Key Vault's version or the step's time is up; the last read stands.
      let have = (await apimVersion(az, manifest, name))?.thumbprint;
      while (have !== want && !deadline.passed()) {
        await deadline.sleep(poll);
        if (deadline.passed()) break;
        have = (await apimVersion(az, manifest, name))?.thumbprint;
      }
      if (have !== want) {
        log.error(
          `${name}: API Management still serves ${shortThumbprint(have)} after ${Math.round(deadline.totalMs / 1000)} s, not Key Vault's current version ${shortThumbprint(want)}. Fix: check that APIM's identity may read the secret (Key Vault Secrets User) and passes the vault's firewall, then run the refresh again (npm run apim:refresh -- ${manifest.environment})`,
        );
        failed.push(name);
        continue;
      }
      let shown = `${name}: API Management serves ${shortThumbprint(want)}, Key Vault's current version`;
      if (certificate.backend) {
        const backendUrl = `${base}/backends/${certificate.backend}?api-version=${APIM_API_VERSION}`;
        const presented = async () => {
          const backend = (await az.json(['rest', '--method', 'get', '--url', backendUrl], `reading backend ${certificate.backend}`)) as Record<string, any> | null;
          const list = backend?.properties?.credentials?.certificate;
          return Array.isArray(list) && typeof list[0] === 'string' ? list[0].toUpperCase() : null;
        };
        if ((await presented()) !== want) {
          const body = path.join(options.workDir, `backend-${certificate.stem}.json`);
          fs.writeFileSync(body, JSON.stringify({ properties: { credentials: { certificate: [want] } } }), { mode: 0o600 });
          await az.json(['rest', '--method', 'patch', '--url', backendUrl, '--headers', 'If-Match=*', '--body', `@${body}`], `pointing backend ${certificate.backend} at ${shortThumbprint(want)}`);
        }
        const now = await presented();
        if (now !== want) {
          log.error(`${name}: the backend ${certificate.backend} still presents ${shortThumbprint(now)}, not ${shortThumbprint(want)}. Fix: run the refresh again, or terraform apply`);
          failed.push(name);
          continue;
        }
        shown += `; backend ${certificate.backend} presents it`;
      }
      log.info(shown);
    } catch (error) {
      // A signal stopped the call: the command ends, the next certificate is not begun.
      if (!(error instanceof AzureCliError) || error.kind === 'interrupted') throw error;
      log.error(`${name}: ${error.doing} failed: ${error.detail}`);
      failed.push(name);
    }
  }
  return { failed };
}

/** How long a refresh may wait for APIM, and how often it looks: APIM_REFRESH_TIMEOUT_SECONDS (300) and APIM_REFRESH_POLL_SECONDS (15). */
export function refreshBounds(env: NodeJS.ProcessEnv): { timeoutMs: number; pollMs: number } {
  const timeout = Number(env.APIM_REFRESH_TIMEOUT_SECONDS ?? 300);
  const poll = Number(env.APIM_REFRESH_POLL_SECONDS ?? 15);
  return { timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 300_000, pollMs: Number.isFinite(poll) && poll > 0 ? poll * 1000 : 15_000 };
}

/** The step after an apply: the stack's certificates refreshed in APIM, in a private directory of its own. */
export async function refreshStack(tools: StepTools, { stackDir }: { stackDir: string }): Promise<void> {
  const manifest = readStackManifest(stackDir);
  const context = await resolveAzureContext({ run: tools.az, env: tools.env, manifest, requireAz: true });
  const work = await makePrivateDirectory(`refresh-${manifest.environment}`, { platform: tools.platform, icacls: tools.icacls, env: tools.env });
  try {
    const { failed } = await refreshApimCertificates({ az: context.az!, manifest, log: tools.log, clock: tools.clock, workDir: work.path, ...refreshBounds(tools.env) });
    if (failed.length) throw new StepFailure(`API Management does not serve Key Vault's current version of: ${failed.join(', ')} (above)`);
  } finally {
    work.remove();
  }
}
