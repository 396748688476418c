import type { DeploymentManifest } from '../config/deployment-manifest';
import { type AzureCli, AzureCliError } from './azure-cli';
import type { StepLog } from './step-log';

/**
 * Fails before Terraform runs when a resource provider the stack needs is not registered in its
 * subscription, and says how to register it. The stack sets the azurerm provider's
 * resource_provider_registrations to "none" (its default registers some sixty providers, which a deployer
 * whose roles stop at a resource group may not do). Registering is a one-off, subscription-level act;
 * without it the first create fails deep inside an apply with MissingSubscriptionRegistration.
 *
 * Returns the namespaces that are not registered (empty: fine). A provider whose state cannot be read is
 * warned about and not counted: not knowing is no reason to stop a deployment that may well work.
 */
export async function checkResourceProviders(az: AzureCli, manifest: DeploymentManifest, log: StepLog): Promise<string[]> {
  const unregistered: string[] = [];
  for (const namespace of manifest.resourceProviders) {
    let state: unknown;
    try {
      const provider = (await az.json(['provider', 'show', '--namespace', namespace], `reading resource provider ${namespace}`)) as { registrationState?: unknown } | null;
      state = provider?.registrationState;
    } catch (error) {
      if (!(error instanceof AzureCliError) || error.kind === 'not-installed' || error.kind === 'interrupted') throw error;
      log.warn(`could not read the registration state of resource provider ${namespace}: ${error.detail}`);
      continue;
    }
    if (state === 'Registered') {
      log.info(`resource provider ${namespace} is Registered`);
      continue;
    }
    const shown = typeof state === 'string' && /^[A-Za-z]{1,32}$/.test(state) ? state : 'in an unknown state';
    log.error(`resource provider ${namespace} is ${shown} in subscription ${az.subscription}. Fix: register it once with \`az provider register --namespace ${namespace} --subscription ${az.subscription}\` (needs a subscription-level role)`);
    unregistered.push(namespace);
  }
  return unregistered;
}
