import fs from 'node:fs';
import path from 'node:path';
import { environments } from '../environments';
import { loadEnvironments } from '../config/load-environments';
import { PROJECT_ROOT } from './support/run-command';

describe('environments/', () => {
  const files = fs
    .readdirSync(path.join(PROJECT_ROOT, 'environments'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => `environments/${f}`)
    .sort();

  it('lists every environment file in environments/index.ts, so none is silently left undeployed', () => {
    expect(environments.map((e) => e.file).sort()).toEqual(files);
  });

  it('names each file after its environment', () => {
    for (const { file, config } of environments) expect(file).toBe(`environments/${config.name}.ts`);
  });

  it('ships environments that pass validation', () => {
    expect(loadEnvironments(environments).map((e) => e.name)).toEqual(['dev', 'test', 'prod']);
  });

  it('uses obviously placeholder ids, so nobody deploys into a real tenant by accident', () => {
    const guids = JSON.stringify(environments.map((e) => e.config)).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
    expect(guids.length).toBeGreaterThan(0);
    for (const guid of guids) expect(guid).toMatch(/^00000000-0000-0000-0000-/);
  });
});
