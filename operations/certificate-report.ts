import fs from 'node:fs';
import type { DeploymentManifest } from '../config/deployment-manifest';
import { day, deployedCertificates, shortThumbprint } from '../rotation/deployed-certificates';
import { type CertificateObservation, describeExpiry, type ExpiryReportLine, expiryReport, reportExitCode } from '../rotation/expiry-report';
import { printable } from '../text/printable';
import { agentAddress } from './agent-address';
import { AzureCliError } from './azure-cli';
import { resolveAzureContext } from './azure-context';
import { apimVersion, keyVaultVersion } from './live-certificates';
import { firewallRecordFile } from './plan-stack';
import { makePrivateDirectory } from './private-directory';
import { publishSummary, RunSummary } from './run-summary';
import { StepFailure } from './step-failure';
import type { StepTools } from './step-tools';
import { TerraformCli } from './terraform-cli';
import { FirewallSession, runIdentity } from './vault-firewall';

/**
 * The certificate expiry report of one environment: for each certificate it declares, Key Vault's current
 * version and its expiry, and whether API Management serves that version.
 *
 * From Azure as it is now (the default, and the weekly pipeline run): the same reads the APIM refresh makes,
 * Key Vault's data plane (so this machine is let through the vault's firewall for the report) and APIM's
 * certificate, so a version imported or expired since the last apply is seen. From the state (--from state):
 * what the last apply recorded, read by `terraform show -json` after the command's own `terraform init`,
 * into memory only (the state holds every imported PFX and its password in clear). Or from a state document
 * given as a file (--state-json).
 *
 * Exit 0 only when every declared certificate was found, read and is fine; 1 when one needs action; 2
 * when one could not be judged, or the report could not be made at all (then the summary says "no report").
 * The warning threshold is the environment's own expiryWarnings.daysBeforeExpiry.
 */
export type ReportSource = { readonly kind: 'azure' } | { readonly kind: 'state'; readonly stackDir: string } | { readonly kind: 'document'; readonly document: unknown };

export interface ReportOptions {
  readonly manifest: DeploymentManifest | undefined;
  readonly source: ReportSource;
  readonly warnDays?: number;
  readonly json?: boolean;
  readonly summaryFile?: string;
  readonly now?: Date;
  readonly write?: (text: string) => void;
}

async function observeAzure(tools: StepTools, manifest: DeploymentManifest): Promise<CertificateObservation[]> {
  const context = await resolveAzureContext({ run: tools.az, env: tools.env, manifest, requireAz: true });
  const az = context.az!;
  const firewall = new FirewallSession({ az, manifest, log: tools.log, env: tools.env, runId: runIdentity(tools.env), recordFile: firewallRecordFile(tools.env, manifest.environment), clock: tools.clock });
  try {
    await firewall.open(() => agentAddress(tools.env, tools.lookup));
    const observed: CertificateObservation[] = [];
    for (const { name } of manifest.certificates) {
      observed.push({ name, keyVault: await keyVaultVersion(az, manifest, name), apiManagement: await apimVersion(az, manifest, name), problems: [] });
    }
    return observed;
  } finally {
    await firewall.close();
  }
}

async function observeState(tools: StepTools, manifest: DeploymentManifest, stackDir: string): Promise<CertificateObservation[]> {
  const context = await resolveAzureContext({ run: tools.az, env: tools.env, manifest, requireAz: false });
  const work = await makePrivateDirectory(`report-${manifest.environment}`, { platform: tools.platform, icacls: tools.icacls, env: tools.env });
  try {
    const terraform = new TerraformCli({ run: tools.terraform, stackDir, env: { ...tools.env, ARM_SUBSCRIPTION_ID: context.subscription }, workDir: work.path, signal: tools.signal });
    await terraform.init();
    return toObservations(await terraform.showJson());
  } finally {
    work.remove();
  }
}

function toObservations(document: unknown): CertificateObservation[] {
  return deployedCertificates(document).map((d) => ({
    name: d.name,
    keyVault: d.keyVault ? { thumbprint: d.keyVault.thumbprint, expires: d.keyVault.expires } : null,
    apiManagement: d.apiManagement ? { thumbprint: d.apiManagement.thumbprint, expires: d.apiManagement.expires } : null,
    problems: d.problems,
  }));
}

export async function reportCertificates(tools: StepTools, options: ReportOptions): Promise<0 | 1 | 2> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const environment = options.manifest?.environment ?? 'the given state';
  const warnDays = options.warnDays ?? options.manifest?.expiryWarnDays ?? 30;
  const summary = new RunSummary();
  summary.heading(`Certificate expiry: ${environment}`);
  let lines: ExpiryReportLine[] | undefined;
  try {
    const { manifest, source } = options;
    const observed =
      source.kind === 'azure'
        ? await observeAzure(tools, manifest!)
        : source.kind === 'state'
          ? await observeState(tools, manifest!, source.stackDir)
          : toObservations(source.document);
    const declared = manifest ? manifest.certificates.map((c) => c.name) : observed.map((o) => o.name);
    lines = expiryReport(declared, observed, options.now ?? new Date(), warnDays);
  } catch (error) {
    // A report that could not be made is exit 2 (not 1, "action needed"), whatever stopped it.
    // A call a signal stopped stays what it is: the command's end names the signal (interruptions.ts).
    if (error instanceof AzureCliError) throw error.kind === 'interrupted' ? error : new StepFailure(`${error.doing} failed: ${error.detail}`, 2);
    throw error instanceof StepFailure && error.exitCode !== 2 ? new StepFailure(error.message, 2) : error;
  } finally {
    const code = lines ? reportExitCode(lines) : 2;
    if (lines) {
      summary.paragraph(
        code === 0
          ? `Every certificate is valid for more than ${warnDays} days, and API Management serves Key Vault's current version.`
          : code === 1
            ? `Action needed: a certificate is expired, expires within ${warnDays} days, or API Management does not serve Key Vault's current version.`
            : 'No report for every certificate: one could not be found or read (below).',
        { bold: code !== 0 },
      );
      summary.table(
        ['certificate', 'status', 'Key Vault', 'expires', 'API Management'],
        lines.map((l) => [l.name, l.status, shortThumbprint(l.keyVaultThumbprint), day(l.expires), shortThumbprint(l.apimThumbprint)]),
      );
      if (options.json) write(`${JSON.stringify(lines, null, 2).split('\n').map(printable).join('\n')}\n`);
      else write(`${lines.map((l) => printable(describeExpiry(l))).join('\n')}\n`);
    } else {
      summary.paragraph("No report: it could not be made (the job's log says why).", { bold: true });
    }
    if (options.summaryFile) {
      fs.writeFileSync(options.summaryFile, summary.toString());
      publishSummary(options.summaryFile, tools.env, tools.log);
    }
  }
  return reportExitCode(lines);
}
