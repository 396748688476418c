import fs from 'node:fs';
import path from 'node:path';
import { deploymentManifest } from '../../config/deployment-manifest';
import type { EnvironmentConfig } from '../../config/environment-config';

/**
 * A synthesized stack's directory as the operational steps receive it (a pipeline's downloaded artifact,
 * or cdktf.out/stacks/<env> on a workstation): its cdk.tf.json with remote state, and the deployment.json
 * synth writes for the environment.
 */
export function writeStackDirectory(root: string, config: EnvironmentConfig, backend: object = { azurerm: { key: `${config.name}.tfstate` } }): string {
  const dir = path.join(root, 'stacks', config.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend } }, null, 2));
  fs.writeFileSync(path.join(dir, 'deployment.json'), JSON.stringify(deploymentManifest(config), null, 2));
  return dir;
}

/** A clock whose sleeps pass at once, for steps that poll. */
export function instantClock(start = Date.parse('2026-12-04T10:00:00Z')) {
  let now = start;
  return { now: () => now, sleep: async (ms: number) => void (now += Math.max(0, ms)) };
}
