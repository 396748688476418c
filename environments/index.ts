import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../constructs/configuration-error';
import type { EnvironmentConfig } from '../config/environment-config';
import type { EnvironmentSource } from '../config/validate-environment';

/**
 * Every environment: each file in environments/ (but this one) is one, exported as its default export and
 * named after the file. Adding an environment is adding its file; nothing registers it. In promotion
 * order: `pipeline.order` (default 100), then by name.
 *
 * This module runs bundled into an entry point by scripts/run.js (main.ts at the root, or a script in
 * scripts/), where __dirname is the entry's directory, and directly under jest, where it is
 * environments/: the directory is found by walking up. esbuild bundles every file the template-literal
 * require below can name (its glob import), so a new file is in the next bundle: scripts/run.js rebundles
 * whenever the set of source files changes.
 */
function environmentsDirectory(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (path.basename(dir) === 'environments' && fs.existsSync(path.join(dir, 'index.ts'))) return dir;
    if (fs.existsSync(path.join(dir, 'environments', 'index.ts'))) return path.join(dir, 'environments');
    if (path.dirname(dir) === dir) throw new Error(`no environments/ directory above ${__dirname}`);
  }
}
const directory = environmentsDirectory();

function load(file: string): EnvironmentConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`./${file}`) as { default?: unknown };
  if (module.default === null || typeof module.default !== 'object') {
    throw new ConfigurationError({
      source: `environments/${file}`,
      field: 'export default',
      value: module.default,
      rule: 'must be the environment (an object)',
      fix: `end the file with \`export default ${path.basename(file, '.ts')};\` where ${path.basename(file, '.ts')} is its EnvironmentConfig`,
    });
  }
  return module.default as EnvironmentConfig;
}

export const environments: readonly EnvironmentSource[] = fs
  .readdirSync(directory)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'index.ts')
  .map((file) => ({ file: `environments/${file}`, config: load(file) }))
  .sort((a, b) => (a.config.pipeline?.order ?? 100) - (b.config.pipeline?.order ?? 100) || a.config.name.localeCompare(b.config.name));
