import fs from 'node:fs';
import path from 'node:path';
import { type AddressLookup, httpsLookup } from './agent-address';
import { type CommandRunner, interruptible, processRunner } from './command-runner';
import { type Clock, interruptibleClock, systemClock } from './deadline';
import type { CommandSignals } from './interruptions';
import { consoleLog, pipelineHost, type StepLog } from './step-log';
import { StepFailure } from './step-failure';

/**
 * What every operational step is given instead of reaching for it: the Azure CLI and Terraform runners,
 * the address lookup, the clock, the log, the environment and the platform. The entry points pass the
 * real ones; tests pass recording ones, or the real tools pointed at an emulator.
 */
export interface StepTools {
  readonly az: CommandRunner;
  readonly terraform: CommandRunner;
  /** Windows only: icacls, which makes a temporary directory private. */
  readonly icacls?: CommandRunner;
  readonly lookup: AddressLookup;
  readonly clock: Clock;
  readonly log: StepLog;
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  /** Stops a running Terraform (Ctrl-C, SIGTERM, SIGHUP of the command). */
  readonly signal?: AbortSignal;
}

/** The real tools, bound to the command's interruptions when it has any (interruptibleTools). */
export function defaultTools(env: NodeJS.ProcessEnv = process.env, interruptions?: CommandSignals): StepTools {
  const platform = process.platform;
  const tools: StepTools = {
    az: processRunner('az', platform),
    terraform: processRunner(env.TERRAFORM || 'terraform', platform),
    ...(platform === 'win32' ? { icacls: processRunner('icacls', platform) } : {}),
    lookup: httpsLookup,
    clock: systemClock,
    log: consoleLog(env),
    env,
    platform,
  };
  return interruptibleTools(tools, interruptions);
}

/**
 * `tools` bound to a command's interruptions: after a signal no az call begins and the one under way is
 * stopped (a cleanup's own calls excepted), the waits end, and SIGTERM or SIGHUP stops Terraform.
 */
export function interruptibleTools(tools: StepTools, interruptions: CommandSignals | undefined): StepTools {
  if (!interruptions) return tools;
  return { ...tools, az: interruptible(tools.az, interruptions.interrupted), clock: interruptibleClock(tools.clock, interruptions.interrupted), signal: interruptions.signal };
}

/**
 * The job's own temporary directory, which the agents empty before and after every job: Azure DevOps'
 * Agent.TempDirectory, GitHub's RUNNER_TEMP. Undefined outside a pipeline.
 */
export function jobTempDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const host = pipelineHost(env);
  const dir = host === 'azure-devops' ? env.AGENT_TEMPDIRECTORY : host === 'github' ? env.RUNNER_TEMP : undefined;
  return dir && path.isAbsolute(dir) ? dir : undefined;
}

/**
 * A fresh owner-only directory for one step's clear files in a pipeline job's temporary directory, with
 * whatever a killed earlier step left under that name removed first.
 */
export function jobWorkDirectory(env: NodeJS.ProcessEnv, name: string): { path: string; remove(): void } | undefined {
  const root = jobTempDirectory(env);
  if (!root) return undefined;
  const dir = path.join(root, `apimcert-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return { path: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The stack's cdk.tf.json, and a refusal when it keeps local state (an agent's disk is thrown away after the job). */
export function readStackConfiguration(stackDir: string): Buffer {
  const file = path.join(stackDir, 'cdk.tf.json');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new StepFailure(`${file} is missing. Fix: run npm run synth (a pipeline: publish cdktf.out as synthesized)`);
  }
  let backend: unknown;
  try {
    backend = (JSON.parse(bytes.toString('utf8')) as { terraform?: { backend?: unknown } }).terraform?.backend;
  } catch {
    throw new StepFailure(`${file} is not JSON. Fix: run npm run synth again`);
  }
  if (!backend || typeof backend !== 'object' || 'local' in backend) {
    throw new StepFailure(`${stackDir} keeps local state, which a pipeline agent throws away with the job (and which would hold the PFX files in clear). Fix: set state in environments/<env>.ts`);
  }
  return bytes;
}

/**
 * Terraform's login in a pipeline, from what the job already has: Azure DevOps' AzureCLI@2 exports the
 * workload-identity service connection's client id, tenant and id (AZURESUBSCRIPTION_CLIENT_ID,
 * _TENANT_ID, _SERVICE_CONNECTION_ID, Tasks/AzureCLIV2 azureclitask.ts), which azurerm's OIDC login for
 * Azure Pipelines takes as ARM_CLIENT_ID, ARM_TENANT_ID and ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID, with
 * the job's SYSTEM_OIDCREQUESTURI and System.AccessToken; it then asks for a fresh token whenever it needs
 * one, so a long apply outlives any single token. GitHub's job environment carries ARM_* already.
 * Everywhere: ARM_SUBSCRIPTION_ID is the stack's subscription, the one every az call names.
 */
export function terraformLogin(env: NodeJS.ProcessEnv, subscription: string): NodeJS.ProcessEnv {
  const login: NodeJS.ProcessEnv = { ARM_SUBSCRIPTION_ID: subscription };
  if (pipelineHost(env) === 'azure-devops' && env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID) {
    Object.assign(login, {
      ARM_USE_OIDC: 'true',
      ARM_CLIENT_ID: env.ARM_CLIENT_ID ?? env.AZURESUBSCRIPTION_CLIENT_ID,
      ARM_TENANT_ID: env.ARM_TENANT_ID ?? env.AZURESUBSCRIPTION_TENANT_ID,
      ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: env.ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID ?? env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID,
      ...(env.SYSTEM_OIDCREQUESTURI ? { ARM_OIDC_REQUEST_URL: env.SYSTEM_OIDCREQUESTURI } : {}),
      ...(env.SYSTEM_ACCESSTOKEN ? { ARM_OIDC_REQUEST_TOKEN: env.SYSTEM_ACCESSTOKEN } : {}),
    });
  }
  return login;
}
