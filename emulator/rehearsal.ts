import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { refreshStack } from '../operations/apim-refresh';
import { applyStack, closeFirewall } from '../operations/apply-stack';
import type { CommandRunner } from '../operations/command-runner';
import type { CommandSignals } from '../operations/interruptions';
import { planStack } from '../operations/plan-stack';
import { memoryLog, type StepLog } from '../operations/step-log';
import { interruptibleTools, type StepTools } from '../operations/step-tools';
import { azEnvironment, seedPrivateDnsZone, seedVirtualNetwork, startAzureEmulator, type AzureEmulator } from './index';
import { makeStandInCertificate } from './stand-in-certificates';

/**
 * One environment's pipeline rehearsed against the Azure emulator: the project's own steps (the plan job:
 * plan, then close-firewall; the apply job: apply, APIM refresh, close-firewall), with the real az CLI and
 * the real Terraform and azurerm provider, in GitHub-like jobs of their own. Used by npm run rehearse and by
 * the lifecycle tests (__tests__/lifecycle-on-emulator.test.ts).
 *
 * What it seeds from the environment, as a landing zone would have it: the subscription with its resource
 * providers registered, the pipeline's service principal (one of the environment's deployers, Owner of the
 * subscription), and whatever the environment says already exists: the resource group, the vault, the APIM
 * instance, and the subnet and private DNS zone of a private endpoint.
 *
 * What it changes beside the synthesized stack (never in it), and why: local state instead of the azurerm
 * backend (Azure Storage is not emulated), through a Terraform override file; and the RBAC propagation
 * waits (time_sleep) shortened to `rbacWait`, against an emulator that enforces a new role assignment
 * `rbacPropagationMs` after it is made. The defaults (3 s and 21 s) keep the waits meaningful: azurerm
 * itself spends 20 s after creating a role assignment, so without the stack's wait after it the first import
 * and APIM's first read of its secret meet ForbiddenByRbac, as they would in Azure.
 */
export interface RehearsalOptions {
  readonly config: EnvironmentConfig;
  /** A private directory for the rehearsal: state, plans, job directories, the az profile. */
  readonly work: string;
  /** The real az CLI, however it is started (az on PATH, or the tests' pinned copy). */
  readonly az: CommandRunner;
  /** The real Terraform. */
  readonly terraform: CommandRunner;
  /** A Terraform CLI configuration that installs the providers without a registry (TF_CLI_CONFIG_FILE). */
  readonly cliConfigFile: string;
  /** The environment the jobs start from; anything Azure-, proxy- or pipeline-related in it is dropped. */
  readonly base?: NodeJS.ProcessEnv;
  /** @default 21_000 */
  readonly rbacPropagationMs?: number;
  /** Where a job reports; @default a log kept in memory. */
  readonly log?: (job: string) => StepLog;
  /** Each az and terraform call, with how long it took (for a transcript). */
  readonly onCall?: (line: string) => void;
  /** The command's signals (npm run rehearse): the jobs' tools take them as the pipeline steps' do. */
  readonly interruptions?: CommandSignals;
}

/** The public address the emulated Azure sees this machine at: what the vault's firewall checks. */
export const REHEARSAL_AGENT_ADDRESS = '20.50.60.70';
/** The subscription of an environment that names none. */
export const REHEARSAL_SUBSCRIPTION = '5b0f2c3e-8d41-4a6f-9e27-6c1d3a8b4f90';

/** What a pipeline job must not inherit from the machine it is rehearsed on. */
const INHERITED = /^(TF_BUILD|GITHUB_|RUNNER_|BUILD_|SYSTEM_|AGENT_|TF_VAR_|TF_CLI_|TF_LOG|TF_DATA_DIR|TF_PLUGIN_CACHE_DIR|TF_BACKEND_CONFIG|PEM_FILE_|ALLOW_|APIM_REFRESH_|APIMCERT_GITHUB_)/;
const PROVIDERS = ['Microsoft.KeyVault', 'Microsoft.ApiManagement', 'Microsoft.Network', 'Microsoft.EventGrid', 'Microsoft.ManagedIdentity'];

export interface RehearsalJob {
  readonly name: string;
  readonly log: StepLog;
  /** The job's step summary ($GITHUB_STEP_SUMMARY), as Markdown. */
  readonly summary: string;
  /** The Terraform subcommands the job ran, in order. */
  readonly terraform: string[];
  readonly error?: Error;
}

export class Rehearsal {
  private jobCount = 0;

  private constructor(
    readonly emulator: AzureEmulator,
    /** What every job starts from: the emulator's endpoints, the login of the pipeline's principal. */
    readonly env: NodeJS.ProcessEnv,
    readonly subscription: string,
    private readonly o: RehearsalOptions,
  ) {}

  static async start(o: RehearsalOptions): Promise<Rehearsal> {
    const emulator = await startAzureEmulator({ rbacDelayMs: o.rbacPropagationMs ?? 21_000, clientAddress: REHEARSAL_AGENT_ADDRESS });
    try {
      const subscription = o.config.subscriptionId ?? REHEARSAL_SUBSCRIPTION;
      // Terraform's login takes the secret from its environment; az's takes a certificate, so that no secret
      // is ever on a command line (`az login -p` would put one there).
      const clientSecret = crypto.randomBytes(24).toString('base64url');
      const login = makeStandInCertificate(o.work, 'az-login', { format: 'pem' });
      const loginCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(fs.readFileSync(login.file, 'utf8'))![0];
      const deployer = seedLandingZone(emulator, o.config, subscription, { clientSecret, certificates: [loginCertificate] });
      const clean = Object.fromEntries(Object.entries(o.base ?? process.env).filter(([name]) => !INHERITED.test(name)));
      const env: NodeJS.ProcessEnv = {
        ...azEnvironment(emulator, clean),
        AGENT_IP: REHEARSAL_AGENT_ADDRESS,
        TMPDIR: o.work,
        CHECKPOINT_DISABLE: '1',
        TF_CLI_CONFIG_FILE: o.cliConfigFile,
        TF_PLAN_ENCRYPTION_KEY: crypto.randomBytes(48).toString('base64'),
        GITHUB_RUN_ID: String(Date.now()),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: `rehearsal/${o.config.name}`,
        // Terraform's login (the steps add ARM_SUBSCRIPTION_ID): the same service principal as az's.
        ARM_CLIENT_ID: deployer.appId,
        ARM_CLIENT_SECRET: clientSecret,
        ARM_TENANT_ID: emulator.state.tenantId,
      };
      const loggedIn = await o.az(['login', '--service-principal', '-u', deployer.appId, '--certificate', login.file, '--tenant', emulator.state.tenantId, '-o', 'none'], { env, timeoutMs: 60_000 });
      if (loggedIn.status !== 0) throw new Error(`az login to the emulator failed: ${loggedIn.stderr.trim().split('\n').pop() ?? ''}`);
      return new Rehearsal(emulator, env, subscription, o);
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }

  /** The rehearsal's two overrides beside a synthesized stack (see the top): local state, and RBAC waits of `rbacWait`. */
  prepareStack(stackDir: string, rbacWait = '3s'): void {
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource?: { time_sleep?: Record<string, unknown> } };
    const sleeps = Object.fromEntries(Object.keys(stack.resource?.time_sleep ?? {}).map((name) => [name, { create_duration: rbacWait }]));
    const override = {
      terraform: { backend: { local: { path: path.join(this.o.work, `${path.basename(stackDir)}.tfstate`) } } },
      ...(Object.keys(sleeps).length ? { resource: { time_sleep: sleeps } } : {}),
    };
    fs.writeFileSync(path.join(stackDir, 'rehearsal_override.tf.json'), JSON.stringify(override, null, 2));
  }

  /** The plan job: plan, then always close the firewall. `extra`: the job's variables (the certificate files). */
  async planJob(stackDir: string, extra: NodeJS.ProcessEnv = {}): Promise<RehearsalJob & { planDir: string }> {
    const { tools, job } = this.job('plan', extra);
    const planDir = path.join(this.o.work, 'plans', String(this.jobCount));
    let error: Error | undefined;
    try {
      await planStack(tools, { stackDir, outDir: planDir });
    } catch (e) {
      error = e as Error;
    } finally {
      await closeFirewall(tools, { stackDir });
    }
    return { ...job(), planDir, ...(error ? { error } : {}) };
  }

  /** The apply job of an approved plan: apply, APIM refresh, then always close the firewall. */
  async applyJob(stackDir: string, planDir: string): Promise<RehearsalJob> {
    const { tools, job } = this.job('apply');
    let error: Error | undefined;
    try {
      await applyStack(tools, { stackDir, planDir });
      await refreshStack(tools, { stackDir });
    } catch (e) {
      error = e as Error;
    } finally {
      await closeFirewall(tools, { stackDir });
    }
    return { ...job(), ...(error ? { error } : {}) };
  }

  /** A job's tools, in a GitHub-like job of this run: its own temporary directory, step summary and name. */
  job(name: string, extra: NodeJS.ProcessEnv = {}): { tools: StepTools; env: NodeJS.ProcessEnv; job: () => RehearsalJob } {
    const temp = path.join(this.o.work, 'jobs', `${++this.jobCount}-${name}`);
    fs.mkdirSync(temp, { recursive: true, mode: 0o700 });
    const summaryFile = path.join(temp, 'step-summary.md');
    const env: NodeJS.ProcessEnv = { ...this.env, ...extra, GITHUB_ACTIONS: 'true', GITHUB_JOB: name, RUNNER_TEMP: temp, GITHUB_STEP_SUMMARY: summaryFile };
    const log = this.o.log?.(name) ?? memoryLog();
    const terraform: string[] = [];
    const timed = (tool: string, run: CommandRunner, record?: (args: readonly string[]) => void): CommandRunner => async (args, options) => {
      record?.(args);
      const started = Date.now();
      const result = await run(args, tool === 'terraform' ? { ...options, stdio: 'capture' } : options);
      this.o.onCall?.(`${tool} ${args.filter((a) => !a.startsWith('-chdir=')).slice(0, 4).join(' ')}: exit ${result.status} (${Date.now() - started} ms)`);
      if (tool === 'terraform' && result.status !== 0) log.error(`terraform ${args.join(' ')} failed:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
      return result;
    };
    const jobTools: StepTools = {
      az: timed('az', this.o.az),
      terraform: timed('terraform', this.o.terraform, (args) => terraform.push(String(args.find((a) => !a.startsWith('-')) ?? ''))),
      lookup: async () => REHEARSAL_AGENT_ADDRESS,
      // The steps' own waits (polling APIM, the firewall) are shortened: the emulator answers at once.
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200))) },
      log,
      env,
      platform: process.platform,
    };
    const tools = interruptibleTools(jobTools, this.o.interruptions);
    const job = (): RehearsalJob => ({ name, log, terraform, summary: fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : '' });
    return { tools, env, job };
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
  }
}

/** The landing zone the environment expects; returns the pipeline's principal. */
function seedLandingZone(emulator: AzureEmulator, config: EnvironmentConfig, subscription: string, credentials: { clientSecret: string; certificates: string[] }): { appId: string } {
  const { state } = emulator;
  state.addSubscription(subscription, config.name, Object.fromEntries(PROVIDERS.map((p) => [p, 'Registered'])));
  const group = (name: string) => state.resourceGroup(subscription, name) ?? state.addResourceGroup(subscription, name, config.location);
  if (config.resourceGroup.existing) group(config.resourceGroup.name);
  const vaultGroup = config.keyVault.resourceGroupName ?? config.resourceGroup.name;
  if (config.keyVault.existing) {
    group(vaultGroup);
    // An existing vault as this project requires one: Azure RBAC, firewall on with trusted services through.
    state.addVault({ subscriptionId: subscription, resourceGroup: vaultGroup, name: config.keyVault.name, location: config.location, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } });
  }
  if (config.apiManagement.existing) {
    const apimGroup = config.apiManagement.resourceGroupName ?? config.resourceGroup.name;
    group(apimGroup);
    state.addApimService({ subscriptionId: subscription, resourceGroup: apimGroup, name: config.apiManagement.name, location: config.location, outboundIps: ['51.105.20.2'] });
  }
  const endpoint = config.keyVault.privateEndpoint;
  if (endpoint) {
    // The subnet's network, as the agents' network: this machine reaches the vault through the endpoint.
    const network = endpoint.subnetId.replace(/\/subnets\/[^/]+$/i, '');
    const subnet = endpoint.subnetId.split('/').pop()!;
    seedVirtualNetwork(state, network, config.location, { [subnet]: '10.20.1.0/24', 'snet-agents': '10.20.2.0/24' });
    seedPrivateDnsZone(state, endpoint.privateDnsZoneId);
    state.clientVirtualNetworkId = network;
  }
  // The pipeline's service principal: one of the environment's deployers (the stack grants it Key Vault
  // access itself), Owner of the subscription (it creates role assignments).
  const deployer = config.deployers.find((d) => d.type === 'ServicePrincipal') ?? config.deployers[0];
  const principal = state.addPrincipal({ objectId: deployer?.objectId ?? crypto.randomUUID(), appId: crypto.randomUUID(), displayName: `${config.name} pipeline (rehearsal)`, type: 'ServicePrincipal', ...credentials });
  state.assignRole(principal.objectId, 'Owner', `/subscriptions/${subscription}`, { effectiveImmediately: true });
  return { appId: principal.appId! };
}
