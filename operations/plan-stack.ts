import fs from 'node:fs';
import path from 'node:path';
import { deployedCertificates } from '../rotation/deployed-certificates';
import { describeRotation } from '../rotation/rotation-plan';
import { agentAddress } from './agent-address';
import { resolveAzureContext } from './azure-context';
import { checkSources, readCertificateSources, stageCertificates } from './certificate-sources';
import { networkAclsChanges, plannedChanges } from './plan-changes';
import { FIREWALL_CHANGES, pipelineRun, requirePassphrase, sealBundle, stackHash } from './plan-seal';
import { makePrivateDirectory } from './private-directory';
import { checkResourceProviders } from './resource-providers';
import { addRotationTable, markdownCode, markdownText, publishSummary, RunSummary } from './run-summary';
import { reviewRotation, rotationOverrides } from './rotation-review';
import { readStackManifest } from './stack-manifest';
import { jobTempDirectory, jobWorkDirectory, readStackConfiguration, terraformLogin, type StepTools } from './step-tools';
import { StepFailure } from './step-failure';
import { TerraformCli } from './terraform-cli';
import { FirewallSession, runIdentity } from './vault-firewall';

/**
 * The plan job of one environment's stack, for a pipeline. Leaves in `outDir` what the apply job needs and
 * the approver reads:
 *   tfplan.enc   the saved plan, the certificate files it was made with and the provider lock file, sealed
 *                (operations/plan-seal.ts) and bound to this environment, stack and run;
 *   plan.txt     `terraform show` of it, sensitive values redacted by Terraform;
 *   summary.md   also put on the run's summary page, also when the plan is refused: what each certificate
 *                file does to Key Vault (new, unchanged, rotating old → new, refused changes), what the
 *                apply will add to and remove from the vault's firewall rules, the "Plan:" line and the
 *                address of every resource that changes.
 * In order: the certificate variables (each missing one named), the Azure login and subscription, the
 * resource providers, this agent through the vault's firewall (closed by the close step), terraform init,
 * the state (read into memory only), the pre-flight of every file, the rotation review (refusals stop
 * here, before Terraform plans), staging, terraform plan, the refusal of network_acls changes, the seal.
 * Everything in clear (staged certificates, the saved plan) lives in the job's temporary directory only,
 * which the agents empty after every job, and is removed when this step ends however it ends.
 */
export interface PlanStackOptions {
  readonly stackDir: string;
  readonly outDir: string;
}

export async function planStack(tools: StepTools, { stackDir, outDir }: PlanStackOptions): Promise<void> {
  const { env, log } = tools;
  const manifest = readStackManifest(stackDir);
  const passphrase = requirePassphrase(env);
  const stack = readStackConfiguration(stackDir);
  const sources = await readCertificateSources(manifest, env);
  fs.mkdirSync(outDir, { recursive: true });
  const summaryFile = path.join(outDir, 'summary.md');
  fs.rmSync(summaryFile, { force: true });
  const summary = new RunSummary();
  const work = jobWorkDirectory(env, `plan-${manifest.environment}`) ?? (await makePrivateDirectory(`plan-${manifest.environment}`, { platform: tools.platform, icacls: tools.icacls, env }));
  const link = path.join(stackDir, '.certificates');
  const context = await resolveAzureContext({ run: tools.az, env, manifest, requireAz: true });
  const az = context.az!;
  const firewall = new FirewallSession({ az, manifest, log, env, runId: runIdentity(env), recordFile: firewallRecordFile(env, manifest.environment), clock: tools.clock });
  try {
    const unregistered = await checkResourceProviders(az, manifest, log);
    if (unregistered.length) throw new StepFailure(`resource providers not registered in subscription ${az.subscription}: ${unregistered.join(', ')} (the commands above register them); nothing was planned`);
    await firewall.open(() => agentAddress(env, tools.lookup));

    const terraformEnv = { ...env, ...terraformLogin(env, context.subscription), TF_IN_AUTOMATION: '1' };
    const terraform = new TerraformCli({ run: tools.terraform, stackDir, env: terraformEnv, workDir: work.path, signal: tools.signal });
    await terraform.init();
    const deployed = deployedCertificates(await terraform.showJson());

    const { checked, lines, failed } = await checkSources(sources);
    for (const line of lines) log.info(line);
    if (failed) throw new StepFailure('a certificate file fails the pre-flight (above); nothing was planned');
    const overrides = rotationOverrides(env);
    const { lines: rotation, refused } = reviewRotation(checked, deployed, overrides);
    for (const line of rotation) log.info(describeRotation(line, overrides));
    addRotationTable(summary, manifest.environment, rotation, overrides);
    if (refused.length) {
      summary.paragraph('Not planned: the certificate review refused these changes.', { bold: true }).list(refused.map((r) => markdownCode(r)));
      for (const r of refused) log.error(r);
      throw new StepFailure(`the plan of ${manifest.environment} stops here: ${refused.length} certificate change(s) refused (above); nothing was planned`);
    }

    const rules = await firewall.plannedChanges();
    if (rules.add.length || rules.remove.length) {
      summary.heading(`Key Vault firewall: ${manifest.keyVault.name}`);
      summary.paragraph('The apply converges the vault\'s rules to keyVault.networkAcls.ipRules:');
      summary.list([...rules.add.map((r) => `add ${markdownCode(r)}`), ...rules.remove.map((r) => `remove ${markdownCode(r)} (not configured)`)]);
      for (const r of rules.add) log.info(`the apply adds the configured rule ${r} to vault ${manifest.keyVault.name}`);
      for (const r of rules.remove) log.info(`the apply removes ${r}, which is not in keyVault.networkAcls.ipRules, from vault ${manifest.keyVault.name}`);
    }

    // Relative paths: terraform -chdir resolves them in the stack directory, wherever the apply job puts it.
    const staged = stageCertificates(checked, deployed, path.join(work.path, 'certificates'), (stem) => `.certificates/${stem}.pfx`);
    for (const name of staged.reused) log.info(`${name}: the file is the certificate Key Vault holds; Terraform gets the inputs it imported last, so nothing is imported`);
    replaceLink(link, path.join(work.path, 'certificates'));
    const planFile = path.join(work.path, 'tfplan');
    await new TerraformCli({ run: tools.terraform, stackDir, env: { ...terraformEnv, ...staged.variables }, workDir: work.path, signal: tools.signal }).plan(['-no-color', `-out=${planFile}`]);

    const planJson = await terraform.showJson(planFile);
    const aclRefusals = networkAclsChanges(planJson, context.subscription);
    const changes = plannedChanges(planJson);
    const text = await terraform.showText(planFile);
    fs.writeFileSync(path.join(outDir, 'plan.txt'), text);
    summary.heading(`Plan: ${manifest.environment}`);
    summary.paragraph(/^Plan: .*$/m.exec(text)?.[0] ?? (changes.length ? `${changes.length} change(s)` : 'No changes to resources.'));
    summary.list(changes.map((c) => `**${c.action}** ${markdownCode(c.address)}`));
    if (aclRefusals.length) {
      summary.paragraph('Not planned: the plan changes a vault\'s network settings in a way the apply cannot carry out safely.', { bold: true }).list(aclRefusals.map(markdownText));
      for (const r of aclRefusals) log.error(r);
      throw new StepFailure(`the plan of ${manifest.environment} is refused: it changes a vault's network_acls (above); nothing was sealed`);
    }

    const bundle = new Map<string, Buffer>([['tfplan', fs.readFileSync(planFile)]]);
    for (const source of checked) bundle.set(`certificates/${source.certificate.stem}.pfx`, fs.readFileSync(path.join(work.path, 'certificates', `${source.certificate.stem}.pfx`)));
    bundle.set('.terraform.lock.hcl', fs.readFileSync(path.join(stackDir, '.terraform.lock.hcl')));
    // What the approver read about the vault's rules is what the apply does, and nothing more.
    bundle.set(FIREWALL_CHANGES, Buffer.from(JSON.stringify(rules)));
    fs.writeFileSync(path.join(outDir, 'tfplan.enc'), sealBundle(bundle, { environment: manifest.environment, stack: stackHash(stack), run: pipelineRun(env) }, passphrase), { mode: 0o600 });
    log.info(`plan of ${manifest.environment} sealed into ${path.join(outDir, 'tfplan.enc')}: ${changes.length} resource change(s)`);
  } finally {
    await firewall.stopWatchers();
    fs.rmSync(link, { force: true, recursive: true });
    work.remove();
    fs.writeFileSync(summaryFile, summary.toString());
    publishSummary(summaryFile, env, log);
  }
}

/** Where a pipeline job keeps its firewall record between the open (in the plan or apply step) and the close step. */
export function firewallRecordFile(env: NodeJS.ProcessEnv, environment: string): string | undefined {
  const root = jobTempDirectory(env);
  return root ? path.join(root, `apimcert-firewall-${environment}.json`) : undefined;
}

/** Points `link` at `target` (a junction on Windows, which needs no privilege). */
export function replaceLink(link: string, target: string): void {
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(target, link, process.platform === 'win32' ? 'junction' : 'dir');
}
