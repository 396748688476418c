import fs from 'node:fs';
import path from 'node:path';
import { App } from 'cdktf';
import { enforcePolicies } from '../policies/enforce-policies';
import { withoutCreationStacks } from './creation-stacks';
import { deploymentManifest } from './deployment-manifest';
import type { EnvironmentConfig } from './environment-config';
import { EnvironmentStack } from './environment-stack';
import { environmentWarnings, type EnvironmentSource } from './validate-environment';

/**
 * Composition only: one stack per environment, each with its deployment manifest, held to the security
 * rules before the caller lets its output replace cdktf.out/. `sources` name the file each environment
 * came from, for the messages. Returns the warnings (and suppressed findings) to show.
 */
export function synthesize(environments: readonly EnvironmentConfig[], sources: readonly EnvironmentSource[], outdir?: string): string[] {
  // No stack traces in the synthesized metadata: they name this machine's paths and cost time.
  const app = new App({ outdir, stackTraces: false });
  const stacks = withoutCreationStacks(() => {
    const built = environments.map((config) => new EnvironmentStack(app, config));
    app.synth();
    return built;
  });
  for (const stack of stacks) {
    fs.writeFileSync(path.join(app.outdir, 'stacks', stack.node.id, 'deployment.json'), `${JSON.stringify(deploymentManifest(stack.config), null, 2)}\n`);
  }
  // Checked on the files just written: what will be applied, at no second synthesis. On an error the
  // caller (scripts/synth.js) discards the whole output directory.
  const fileOf = new Map(sources.map((s) => [s.config, s.file]));
  return stacks.flatMap((stack) => {
    const file = fileOf.get(stack.config) ?? `environments/${stack.config.name}.ts`;
    return [...environmentWarnings({ file, config: stack.config }), ...enforcePolicies(file, readStackJson(app.outdir, stack), stack.config.policySuppressions)];
  });
}

function readStackJson(outdir: string, stack: EnvironmentStack) {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8'));
}
