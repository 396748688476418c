import type { EnvironmentConfig } from './config/environment-config';
import { loadEnvironments, selectEnvironments } from './config/load-environments';
import { synthesize as synthesizeEnvironments } from './config/synthesize';
import { environments as environmentSources } from './environments';

// For scripts/synth.js and scripts/workstation.js, which load this file.
export { checkEnvironmentCertificates } from './config/check-environment-certificates';
export { certificateSourceVariables, certificateVariableNames, pemSourceVariableName } from './constructs/certificate-names';
export { deploymentManifest } from './config/deployment-manifest';

/** The validated environments named in `args` (all when none is named). */
export function selectedEnvironments(args: readonly string[]) {
  return selectEnvironments(loadEnvironments(environmentSources), args);
}

/** The given environments synthesized into `outdir` (config/synthesize.ts), named by their files in environments/. */
export function synthesize(environments: readonly EnvironmentConfig[], outdir?: string): string[] {
  return synthesizeEnvironments(environments, environmentSources, outdir);
}

// Run directly (the cdktf CLI's "app" in cdktf.json): synthesize everything.
if (require.main === module) synthesize(selectedEnvironments(process.argv.slice(2)));
