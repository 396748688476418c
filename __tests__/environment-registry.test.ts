import fs from 'node:fs';
import path from 'node:path';
import { environments } from '../environments';
import { loadEnvironments } from '../config/load-environments';
import { PROJECT_ROOT } from './support/run-command';

// Whatever environments a team has: nothing here names the shipped samples.
describe('environments/', () => {
  const files = fs
    .readdirSync(path.join(PROJECT_ROOT, 'environments'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => `environments/${f}`)
    .sort();

  it('finds every environment file by itself, so none is silently left undeployed', () => {
    expect(environments.map((e) => e.file).sort()).toEqual(files);
  });

  it('names each file after its environment', () => {
    for (const { file, config } of environments) expect(file).toBe(`environments/${config.name}.ts`);
  });

  it('holds environments that pass validation, in promotion order', () => {
    const loaded = loadEnvironments(environments);
    const orders = loaded.map((e) => e.pipeline?.order ?? 100);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(loaded).toHaveLength(files.length);
  });
});
