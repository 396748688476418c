import { App } from 'cdktf';
import { loadEnvironments, selectEnvironments } from './config/load-environments';
import { EnvironmentStack } from './constructs/environment-stack';
import { environments } from './environments';

export { checkEnvironmentCertificates } from './config/check-environment-certificates';

/** The validated environments named in `args` (all when none is named). */
export function selectedEnvironments(args: readonly string[]) {
  return selectEnvironments(loadEnvironments(environments), args);
}

/** Composition only: one stack per selected environment. */
export function synthesize(args: readonly string[], outdir?: string): void {
  const app = new App({ outdir });
  for (const config of selectedEnvironments(args)) new EnvironmentStack(app, config);
  app.synth();
}

// Run directly (the cdktf CLI's "app" in cdktf.json): synthesize everything.
if (require.main === module) synthesize(process.argv.slice(2));
