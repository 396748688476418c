import fs from 'node:fs';
import path from 'node:path';
import { agentAddress } from './agent-address';
import { resolveAzureContext } from './azure-context';
import { FIREWALL_CHANGES, openSealedFile, pipelineRun, requirePassphrase, stackHash } from './plan-seal';
import { firewallRecordFile, replaceLink } from './plan-stack';
import { makePrivateDirectory } from './private-directory';
import { readStackManifest } from './stack-manifest';
import { jobWorkDirectory, readStackConfiguration, terraformLogin, type StepTools } from './step-tools';
import { TerraformCli } from './terraform-cli';
import { StepFailure } from './step-failure';
import { FirewallSession, parseRuleChanges, runIdentity } from './vault-firewall';

/**
 * The apply job of one environment's stack: exactly the plan its plan job sealed and a reviewer approved.
 * The bundle is opened first, for this environment, this synthesized stack and this run (nothing of it,
 * the provider lock file included, is used before it verifies); Terraform evaluates the configuration
 * again while applying, so the certificate files come out of the same bundle with the bytes the plan was
 * made with, and this job needs no certificate secret of its own. Then this agent through the vault's
 * firewall (a watcher when the vault does not exist yet), the vault rule changes the plan showed and sealed
 * (and no others), terraform init with the plan's lock file, and terraform apply.
 */
export interface ApplyStackOptions {
  readonly stackDir: string;
  readonly planDir: string;
}

export async function applyStack(tools: StepTools, { stackDir, planDir }: ApplyStackOptions): Promise<void> {
  const { env, log } = tools;
  const manifest = readStackManifest(stackDir);
  const passphrase = requirePassphrase(env);
  const stack = readStackConfiguration(stackDir);
  const files = openSealedFile(path.join(planDir, 'tfplan.enc'), { environment: manifest.environment, stack: stackHash(stack), run: pipelineRun(env) }, passphrase);
  const work = jobWorkDirectory(env, `apply-${manifest.environment}`) ?? (await makePrivateDirectory(`apply-${manifest.environment}`, { platform: tools.platform, icacls: tools.icacls, env }));
  const link = path.join(stackDir, '.certificates');
  const context = await resolveAzureContext({ run: tools.az, env, manifest, requireAz: true });
  const firewall = new FirewallSession({ az: context.az!, manifest, log, env, runId: runIdentity(env), recordFile: firewallRecordFile(env, manifest.environment), clock: tools.clock });
  try {
    const certificates = path.join(work.path, 'certificates');
    fs.mkdirSync(certificates, { mode: 0o700 });
    for (const [name, content] of files) {
      if (name === 'tfplan') fs.writeFileSync(path.join(work.path, 'tfplan'), content, { mode: 0o600 });
      else if (name === '.terraform.lock.hcl') fs.writeFileSync(path.join(stackDir, '.terraform.lock.hcl'), content);
      else if (/^certificates\/[a-z0-9_]+\.pfx$/.test(name)) fs.writeFileSync(path.join(work.path, name), content, { mode: 0o600 });
    }
    replaceLink(link, certificates);
    await firewall.open(() => agentAddress(env, tools.lookup));
    const approved = files.get(FIREWALL_CHANGES);
    if (!approved) throw new StepFailure(`the sealed plan of ${manifest.environment} holds no ${FIREWALL_CHANGES}: it was made by an older version. Fix: run the plan job again`);
    await firewall.applyApprovedChanges(parseRuleChanges(approved.toString('utf8')));
    const terraform = new TerraformCli({ run: tools.terraform, stackDir, env: { ...env, ...terraformLogin(env, context.subscription), TF_IN_AUTOMATION: '1' }, workDir: work.path, signal: tools.signal });
    await terraform.init({ lockfileReadonly: true });
    await terraform.apply(['-input=false', '-no-color', path.join(work.path, 'tfplan')]);
  } finally {
    await firewall.stopWatchers();
    fs.rmSync(link, { force: true, recursive: true });
    work.remove();
  }
}

/**
 * The always-run step after a plan or apply: removes what this job opened in the vault's firewall. A cleanup
 * itself, so a signal (a cancelled job) does not stop its calls.
 */
export async function closeFirewall(tools: StepTools, { stackDir }: { stackDir: string }): Promise<void> {
  const manifest = readStackManifest(stackDir);
  const context = await resolveAzureContext({ run: tools.az, env: tools.env, manifest, requireAz: true, cleanup: true });
  const firewall = new FirewallSession({ az: context.az!, manifest, log: tools.log, env: tools.env, runId: runIdentity(tools.env), recordFile: firewallRecordFile(tools.env, manifest.environment), clock: tools.clock });
  await firewall.close();
}
