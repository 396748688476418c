import fs from 'node:fs';
import path from 'node:path';
import { App } from 'cdktf';
import { deploymentManifest } from './config/deployment-manifest';
import type { EnvironmentConfig } from './config/environment-config';
import { loadEnvironments, selectEnvironments } from './config/load-environments';
import { environmentWarnings } from './config/validate-environment';
import { EnvironmentStack } from './config/environment-stack';
import { environments as environmentSources } from './environments';
import { enforcePolicies } from './policies/enforce-policies';

// For scripts/synth.js and scripts/workstation.js, which load this file.
export { checkEnvironmentCertificates } from './config/check-environment-certificates';
export { certificateSourceVariables, certificateVariableNames, pemSourceVariableName } from './constructs/client-certificate';
export { deploymentManifest } from './config/deployment-manifest';

/** The validated environments named in `args` (all when none is named). */
export function selectedEnvironments(args: readonly string[]) {
  return selectEnvironments(loadEnvironments(environmentSources), args);
}

/**
 * Composition only: one stack per selected environment, each held to the security rules before the
 * caller lets its output replace cdktf.out/. Returns the warnings (and suppressed findings) to show.
 */
export function synthesize(environments: readonly EnvironmentConfig[], outdir?: string): string[] {
  // No stack traces in the synthesized metadata: they name this machine's paths and cost time.
  const app = new App({ outdir, stackTraces: false });
  const stacks = environments.map((config) => new EnvironmentStack(app, config));
  app.synth();
  for (const stack of stacks) {
    fs.writeFileSync(path.join(app.outdir, 'stacks', stack.node.id, 'deployment.json'), `${JSON.stringify(deploymentManifest(stack.config), null, 2)}\n`);
  }
  // Checked on the files just written: what will be applied, at no second synthesis. On an error the
  // caller (scripts/synth.js) discards the whole output directory.
  const fileOf = new Map(environmentSources.map((s) => [s.config, s.file]));
  return stacks.flatMap((stack) => {
    const file = fileOf.get(stack.config) ?? `environments/${stack.config.name}.ts`;
    return [...environmentWarnings({ file, config: stack.config }), ...enforcePolicies(file, readStackJson(app.outdir, stack), stack.config.policySuppressions)];
  });
}

function readStackJson(outdir: string, stack: EnvironmentStack) {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8'));
}

// Run directly (the cdktf CLI's "app" in cdktf.json): synthesize everything.
if (require.main === module) synthesize(selectedEnvironments(process.argv.slice(2)));
