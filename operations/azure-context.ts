import type { DeploymentManifest } from '../config/deployment-manifest';
import { AzureCli, classifyFailure, lastErrorLine, withoutSecrets } from './azure-cli';
import type { CommandRunner } from './command-runner';
import type { Deadline } from './deadline';
import { StepFailure } from './step-failure';

/**
 * Who the steps act as, and in which subscription, settled once before anything else runs: the stack's
 * subscription (its environment's subscriptionId, else ARM_SUBSCRIPTION_ID, else az's selected one) and
 * an az CLI bound to it. Without a usable login the command stops here with one line, instead of
 * Terraform's backend error minutes later.
 */
export interface AzureContext {
  readonly subscription: string;
  /** The Azure CLI, bound to the subscription; undefined when Terraform logs in through ARM_* alone. */
  readonly az?: AzureCli;
}

const GUID = /^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
const TRUE = /^(1|true)$/i;

export function noLoginMessage(subscription: string | undefined): string {
  return `no usable Azure login: run \`az login\`, then \`az account set -s ${subscription ?? '<subscription>'}\`; or set ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID with a credential (ARM_CLIENT_SECRET, ARM_USE_OIDC=true or ARM_USE_MSI=true) for Terraform`;
}

/** Whether the environment holds credentials Terraform's azurerm provider can log in with by itself. */
export function hasArmCredentials(env: NodeJS.ProcessEnv): boolean {
  if (TRUE.test(env.ARM_USE_MSI ?? '')) return true;
  if (!env.ARM_CLIENT_ID || !env.ARM_TENANT_ID) return false;
  return Boolean(env.ARM_CLIENT_SECRET || env.ARM_CLIENT_CERTIFICATE_PATH || env.ARM_OIDC_TOKEN || env.ARM_OIDC_TOKEN_FILE_PATH || TRUE.test(env.ARM_USE_OIDC ?? ''));
}

export interface ResolveOptions {
  readonly run: CommandRunner;
  readonly env: NodeJS.ProcessEnv;
  readonly manifest: DeploymentManifest;
  /** The steps about to run need az (firewall, providers, APIM refresh): without it, stop. */
  readonly requireAz: boolean;
  readonly deadline?: Deadline;
  /** For a cleanup (the always-run close-firewall): its calls run after a signal too (AzureCli.forCleanup). */
  readonly cleanup?: boolean;
}

export async function resolveAzureContext({ run, env, manifest, requireAz, deadline, cleanup }: ResolveOptions): Promise<AzureContext> {
  const wanted = manifest.subscriptionId ?? (env.ARM_SUBSCRIPTION_ID && GUID.test(env.ARM_SUBSCRIPTION_ID) ? env.ARM_SUBSCRIPTION_ID : undefined);
  const result = await run(['account', 'show', ...(wanted ? ['--subscription', wanted] : []), '--only-show-errors', '-o', 'json'], {
    env: { ...withoutSecrets(env), AZURE_CORE_COLLECT_TELEMETRY: 'no' },
    timeoutMs: deadline ? deadline.limit(60_000) : 60_000,
    ...(cleanup ? { cleanup } : {}),
  });
  if (result.status !== 0) {
    const kind = classifyFailure(result);
    const armLogin = hasArmCredentials(env) && wanted !== undefined;
    if ((kind === 'not-installed' || kind === 'not-logged-in') && armLogin && !requireAz) return { subscription: wanted };
    if (kind === 'not-installed') {
      throw new StepFailure(requireAz ? 'the Azure CLI (az) is not installed, and this step needs it. Fix: install it (https://aka.ms/installazurecli), then `az login`' : noLoginMessage(wanted));
    }
    if (kind === 'not-logged-in' || /Please run 'az login'/.test(result.stderr)) throw new StepFailure(noLoginMessage(wanted));
    if (wanted && /not (found|recognized)|doesn't exist|does not exist/i.test(result.stderr)) {
      throw new StepFailure(
        `the Azure CLI's login cannot see subscription ${wanted} (${manifest.subscriptionId ? `subscriptionId of environment ${manifest.environment}` : 'ARM_SUBSCRIPTION_ID'}). Fix: \`az login\` to its tenant, then \`az account set -s ${wanted}\``,
      );
    }
    throw new StepFailure(`the Azure CLI could not show the current account: ${lastErrorLine(result)}. Fix: \`az login\`, then \`az account set -s ${wanted ?? '<subscription>'}\``);
  }
  let account: { id?: unknown };
  try {
    account = JSON.parse(result.stdout);
  } catch {
    throw new StepFailure('the Azure CLI printed an account that is not JSON. Fix: `az account show` should print JSON; reinstall az if it does not');
  }
  const id = typeof account?.id === 'string' && GUID.test(account.id) ? account.id : undefined;
  if (!id) throw new StepFailure('the Azure CLI shows an account without a subscription id. Fix: `az account set -s <subscription>`');
  if (wanted && id.toLowerCase() !== wanted.toLowerCase()) {
    throw new StepFailure(`the Azure CLI answered for subscription ${id}, not the stack's ${wanted}. Fix: \`az account set -s ${wanted}\``);
  }
  const az = new AzureCli({ run, subscription: id, env, deadline });
  return { subscription: id, az: cleanup ? az.forCleanup() : az };
}
