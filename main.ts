import { App } from 'cdktf';
import { loadEnvironments, selectEnvironments } from './config/load-environments';
import { EnvironmentStack } from './constructs/environment-stack';
import { environments } from './environments';
import { enforcePolicies } from './policies/enforce-policies';

export { checkEnvironmentCertificates } from './config/check-environment-certificates';

/** The validated environments named in `args` (all when none is named). */
export function selectedEnvironments(args: readonly string[]) {
  return selectEnvironments(loadEnvironments(environments), args);
}

/**
 * Composition only: one stack per selected environment, each held to the security rules before
 * anything is written. Returns the warnings (and suppressed findings) to show.
 */
export function synthesize(args: readonly string[], outdir?: string): string[] {
  const app = new App({ outdir });
  const stacks = selectedEnvironments(args).map((config) => new EnvironmentStack(app, config));
  const warnings = stacks.flatMap((stack) => enforcePolicies(stack));
  app.synth();
  return warnings;
}

// Run directly (the cdktf CLI's "app" in cdktf.json): synthesize everything.
if (require.main === module) synthesize(process.argv.slice(2));
