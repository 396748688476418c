import { App } from 'cdktf';
import { loadEnvironments, selectEnvironments } from './config/load-environments';
import { EnvironmentStack } from './constructs/environment-stack';
import { environments } from './environments';

/**
 * Composition only: validate every environment, then one stack per selected environment.
 * `args` are environment names; none means all.
 */
export function synthesize(args: readonly string[], outdir?: string): void {
  const selected = selectEnvironments(loadEnvironments(environments), args);
  const app = new App({ outdir });
  for (const config of selected) new EnvironmentStack(app, config);
  app.synth();
}

// Run directly (the cdktf CLI's "app" in cdktf.json): synthesize everything.
if (require.main === module) synthesize(process.argv.slice(2));
