import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { certificateSourceVariables } from '../constructs/certificate-names';
import { deploymentManifest } from '../config/deployment-manifest';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { environments } from '../environments';
import { deployedCertificates } from '../rotation/deployed-certificates';
import { describeRotation } from '../rotation/rotation-plan';
import { agentAddress } from './agent-address';
import { refreshApimCertificates, refreshBounds } from './apim-refresh';
import { withoutCertificateVariables, withoutSecrets } from './azure-cli';
import { resolveAzureContext } from './azure-context';
import { checkSources, readCertificateSources, stageCertificates } from './certificate-sources';
import { makePrivateDirectory, sweepLeftovers } from './private-directory';
import { checkResourceProviders } from './resource-providers';
import { reviewRotation, rotationOverrides } from './rotation-review';
import { readStackManifest } from './stack-manifest';
import type { StepTools } from './step-tools';
import { StepFailure } from './step-failure';
import { askLine, askSecret } from './terminal-prompt';
import { TerraformCli } from './terraform-cli';
import { FirewallSession, runIdentity, type RuleChanges } from './vault-firewall';

/**
 * `npm run plan -- <env>` (terraform plan) and `npm run deploy -- <env>` (terraform apply, which asks before
 * changing anything) from a workstation on Windows, macOS or Linux, on the stack `npm run synth` writes, as
 * the pipelines do. It needs Node, the Azure CLI and Terraform, nothing else (no bash, jq, curl or openssl):
 *  1. each certificate's file (and a PFX's password) from the environment when set, else from a prompt
 *     (the password prompt never echoes): TF_VAR_<stem>_pfx_path / _pfx_password, PEM_FILE_<stem>;
 *  2. each file read once and judged by the pre-flight, so a wrong password fails here, not in an apply;
 *  3. synth, without any certificate secret in its environment;
 *  4. the Azure login and the stack's subscription, before anything else talks to Azure: without a usable
 *     login it stops here with one line, instead of Terraform's backend error;
 *  5. the resource providers the stack needs;
 *  6. with --allow-my-ip, this machine's public address let through the vault's firewall for the command;
 *  7. terraform init, the state read into memory, and the rotation review (refusals stop here);
 *  8. Terraform gets private copies: the checked bytes of each PFX, each PEM converted deterministically;
 *  9. terraform plan / apply; after a deploy, the vault's configured rules converged and APIM refreshed.
 * Whatever happens, the firewall rule is removed and the private copies are deleted. Ctrl-C reaches
 * Terraform from the terminal by itself; SIGTERM and SIGHUP are passed on to it; either way every later
 * step is skipped and the command exits non-zero. A run killed outright leaves only encrypted PFX copies
 * in a private directory, which the next run removes.
 */
export interface WorkstationIo {
  readonly tools: StepTools;
  readonly root: string;
  readonly interactive: boolean;
  /** Throws a StepFailure when the command was interrupted (checked between steps). */
  readonly checkpoint: () => void;
  readonly ask?: { line(question: string): Promise<string>; secret(question: string): Promise<string> };
}

export const WORKSTATION_USAGE =
  'usage: npm run plan -- <env> [--allow-my-ip] [--allow-earlier-expiry] [--allow-policy-change <certificate>] [terraform options]   |   npm run deploy -- <env> [the same]';

interface Arguments {
  readonly command: 'diff' | 'deploy';
  readonly environment: string;
  readonly allowMyIp: boolean;
  readonly allowEarlierExpiry: boolean;
  readonly allowPolicyChange: string[];
  readonly terraformArgs: string[];
}

export function parseWorkstationArguments(argv: readonly string[]): Arguments {
  const [command, environment, ...rest] = argv;
  if ((command !== 'diff' && command !== 'deploy') || !environment || environment.startsWith('-')) throw new StepFailure(WORKSTATION_USAGE, 2);
  const parsed = { command: command as Arguments['command'], environment, allowMyIp: false, allowEarlierExpiry: false, allowPolicyChange: [] as string[], terraformArgs: [] as string[] };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--allow-my-ip') parsed.allowMyIp = true;
    else if (arg === '--allow-earlier-expiry') parsed.allowEarlierExpiry = true;
    else if (arg === '--allow-policy-change' && rest[i + 1]) parsed.allowPolicyChange.push(rest[++i]);
    else if (/^-[A-Za-z]/.test(arg)) parsed.terraformArgs.push(arg);
    else throw new StepFailure(`unexpected argument ${JSON.stringify(arg)}. ${WORKSTATION_USAGE}`, 2);
  }
  return parsed;
}

export async function runWorkstation(argv: readonly string[], io: WorkstationIo): Promise<void> {
  const args = parseWorkstationArguments(argv);
  const { tools } = io;
  const { log } = tools;
  sweepLeftovers('workstation');
  const [config] = selectEnvironments(loadEnvironments(environments), [args.environment]);
  // The certificate variables live in this copy only: no child but Terraform is given them.
  const env: NodeJS.ProcessEnv = { ...tools.env };
  await collectFiles(deploymentManifest(config), env, io);
  const sources = await readCertificateSources(deploymentManifest(config), env);
  const { checked, lines, failed } = await checkSources(sources);
  for (const line of lines) log.info(line);
  if (failed) throw new StepFailure('a certificate file fails the pre-flight (above); nothing was run');
  io.checkpoint();

  const outdir = path.resolve(io.root, tools.env.CDKTF_OUTDIR ?? 'cdktf.out');
  const synth = spawnSync(process.execPath, [path.join(io.root, 'scripts', 'synth.js')], { cwd: io.root, stdio: 'inherit', env: withoutSecrets(tools.env) });
  if (synth.status !== 0) throw new StepFailure('synth failed (above); nothing was run');
  io.checkpoint();
  const stackDir = path.join(outdir, 'stacks', config.name);
  const manifest = readStackManifest(stackDir);

  const context = await resolveAzureContext({ run: tools.az, env, manifest, requireAz: args.allowMyIp });
  const az = context.az;
  if (az) {
    const unregistered = await checkResourceProviders(az, manifest, log);
    if (unregistered.length) throw new StepFailure(`resource providers not registered: ${unregistered.join(', ')} (the commands above register them); nothing was planned`);
  } else {
    log.info('note: Terraform logs in with ARM_* and az is not logged in: the resource providers, the firewall and APIM were not checked (docs/deploying.md, "Workstation")');
  }
  io.checkpoint();

  const work = await makePrivateDirectory('workstation', { platform: tools.platform, icacls: tools.icacls, env });
  const firewall = az ? new FirewallSession({ az, manifest, log, env, runId: runIdentity(env), clock: tools.clock }) : undefined;
  let opened = false;
  try {
    if (args.allowMyIp && firewall) {
      opened = true;
      await firewall.open(() => agentAddress(env, tools.lookup));
    }
    io.checkpoint();
    // Outside cdktf.out, which every synth replaces: providers and backend settings survive, so only the
    // first init of an environment downloads anything.
    const terraformEnv = {
      ...withoutCertificateVariables(tools.env),
      ARM_SUBSCRIPTION_ID: context.subscription,
      TF_DATA_DIR: tools.env.TF_DATA_DIR ?? path.join(io.root, '.terraform-data', config.name),
    };
    const terraform = new TerraformCli({ run: tools.terraform, stackDir, env: terraformEnv, workDir: work.path, signal: tools.signal });
    await terraform.init();
    io.checkpoint();
    const deployed = deployedCertificates(await terraform.showJson());
    const overrides = rotationOverrides({}, { allowEarlierExpiry: args.allowEarlierExpiry, allowPolicyChange: args.allowPolicyChange });
    const review = reviewRotation(checked, deployed, overrides);
    for (const line of review.lines) log.info(describeRotation(line, overrides));
    if (review.refused.length) {
      for (const refusal of review.refused) log.error(refusal);
      throw new StepFailure(`${review.refused.length} certificate change(s) refused (above); nothing was planned`);
    }
    let rules: RuleChanges = { add: [], remove: [] };
    if (firewall) {
      rules = await firewall.plannedChanges();
      for (const r of rules.add) log.info(`vault ${manifest.keyVault.name}: ${args.command === 'deploy' ? 'after the apply, ' : 'a deploy '}adds the configured rule ${r}`);
      for (const r of rules.remove) log.info(`vault ${manifest.keyVault.name}: ${args.command === 'deploy' ? 'after the apply, ' : 'a deploy '}removes ${r}, which is not in keyVault.networkAcls.ipRules`);
    }
    const staged = stageCertificates(checked, deployed, path.join(work.path, 'certificates'), (stem) => path.join(work.path, 'certificates', `${stem}.pfx`));
    for (const name of staged.reused) log.info(`${name}: the file is the certificate Key Vault holds; Terraform gets the inputs it imported last, so nothing is imported`);
    io.checkpoint();
    const run = new TerraformCli({ run: tools.terraform, stackDir, env: { ...terraformEnv, ...staged.variables }, workDir: work.path, signal: tools.signal });
    if (args.command === 'diff') {
      await run.plan(args.terraformArgs);
      return;
    }
    // Terraform shows the plan and asks before it changes anything.
    await run.apply(['-input=true', ...args.terraformArgs]);
    io.checkpoint();
    if (!az || !firewall) {
      log.info('note: az is not logged in: API Management was not asked to refresh its certificates (it picks up a new version within four hours), and the vault\'s configured rules were not converged');
      return;
    }
    // The changes shown before Terraform asked for approval, and no others.
    await firewall.applyApprovedChanges(rules);
    // The same bounds as the pipelines' refresh step (a stuck APIM holds the command five minutes by default).
    const { failed } = await refreshApimCertificates({ az, manifest, log, clock: tools.clock, workDir: work.path, ...refreshBounds(tools.env) });
    if (failed.length) throw new StepFailure(`API Management does not serve Key Vault's current version of: ${failed.join(', ')} (above)`);
  } finally {
    if (firewall && opened) await firewall.close();
    work.remove();
  }
}

/** Each certificate's file and password: from the environment when set, else asked for (a password never echoed). */
async function collectFiles(manifest: ReturnType<typeof deploymentManifest>, env: NodeJS.ProcessEnv, io: WorkstationIo): Promise<void> {
  const ask = io.ask ?? { line: askLine, secret: askSecret };
  for (const certificate of manifest.certificates) {
    const { file, password } = certificateSourceVariables(certificate.name, certificate.source);
    // An empty path is no path; an empty password is a real one (a PFX may have none).
    const missing = [...(env[file] ? [] : [file]), ...(password && env[password] === undefined ? [password] : [])];
    if (!missing.length) continue;
    if (!io.interactive) throw new StepFailure(`certificate ${certificate.name}: ${missing.join(' and ')} not set, and there is no terminal to ask on. Fix: set them first`);
    if (!env[file]) env[file] = path.resolve(await ask.line(`${certificate.source.toUpperCase()} file for certificate ${certificate.name}: `));
    if (password && env[password] === undefined) env[password] = await ask.secret(`Password of ${path.basename(env[file] as string)}: `);
  }
}
