import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from '../../config/environment-config';
import { copyProject } from './project-copy';
import type { CommandResult } from './run-command';

/**
 * A copy of the project whose environments/ holds only the given environments: tests that run the
 * commands (synth, plan, the pipeline generator) on environments of their own, never the shipped samples,
 * whose names and placeholder ids a team replaces.
 */
export function projectWithEnvironments(configs: readonly EnvironmentConfig[]) {
  const copy = copyProject();
  const environmentsDir = path.join(copy.dir, 'environments');
  for (const file of fs.readdirSync(environmentsDir)) if (file !== 'index.ts') fs.rmSync(path.join(environmentsDir, file));
  for (const config of configs) fs.writeFileSync(path.join(environmentsDir, `${config.name}.ts`), environmentFile(config));
  return {
    dir: copy.dir,
    remove: copy.remove,
    /** Runs one of the copy's node scripts from the copy's root. */
    run(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CommandResult {
      const result = spawnSync(process.execPath, [path.join(copy.dir, script), ...args], { cwd: copy.dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/** An environment file as a team writes one. */
export function environmentFile(config: EnvironmentConfig): string {
  const id = config.name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
  return `import type { EnvironmentConfig } from '../config/environment-config';\n\nconst ${id}: EnvironmentConfig = ${JSON.stringify(config, null, 2)};\n\nexport default ${id};\n`;
}

/** A complete environment with real-looking ids, everything created: the base tests change. */
export const qaEnvironment: EnvironmentConfig = {
  name: 'qa',
  subscriptionId: '6b9f2c1e-7d4a-4e8b-9c3f-1a2b3c4d5e6f',
  location: 'northeurope',
  resourceGroup: { name: 'rg-payments-qa' },
  keyVault: { name: 'kv-payments-qa', networkAcls: { defaultAction: 'Deny', ipRules: ['20.61.12.34'] } },
  apiManagement: { name: 'apim-payments-qa', publisherName: 'Payments Platform', publisherEmail: 'payments@fabrikam.example' },
  deployers: [{ objectId: '8d3c5b7a-2e1f-4a6b-9c8d-7e6f5a4b3c2d', type: 'ServicePrincipal', description: 'pipeline: payments-qa' }],
  certificates: [{ name: 'mtls-backend' }],
  expiryWarnings: { contacts: [{ email: 'payments@fabrikam.example' }] },
  state: { resourceGroupName: 'rg-payments-tfstate', storageAccountName: 'stpaymentstfstate' },
};
