import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, runScript } from './support/run-command';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadTypeScript } = require('../scripts/run.js') as {
  loadTypeScript: (entry: string, options?: { hooks?: { afterBuild?: () => void } }) => unknown;
};

// scripts/run.js keeps a bundle cache; these check that it can never run stale code.
describe('scripts/run.js', () => {
  const dir = fs.mkdtempSync(path.join(PROJECT_ROOT, '__tests__', '.run-ts-'));
  const entry = path.join(dir, 'entry.ts');
  const dependency = path.join(dir, 'value.ts');
  const cacheDir = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'run-ts');
  const cacheFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);

  beforeAll(() => {
    fs.writeFileSync(entry, "import { value } from './value';\nconsole.log(`value=${value}`);\nexport const shown = value;\n");
    fs.writeFileSync(dependency, "export const value: string = 'first';\n");
  });
  afterAll(() => {
    for (const f of cacheFiles()) if (fs.readFileSync(path.join(cacheDir, f), 'utf8').includes(path.basename(dir))) fs.rmSync(path.join(cacheDir, f));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a TypeScript entry point and caches its bundle', () => {
    const before = new Set(cacheFiles());
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=first\n');
    expect(cacheFiles().filter((f) => !before.has(f))).toHaveLength(1);
  });

  it('serves an unchanged entry from the cache', () => {
    const [cacheFile] = cacheFiles().filter((f) => fs.readFileSync(path.join(cacheDir, f), 'utf8').includes(path.basename(dir)));
    const written = fs.statSync(path.join(cacheDir, cacheFile)).mtimeMs;
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=first\n');
    expect(fs.statSync(path.join(cacheDir, cacheFile)).mtimeMs).toBe(written);
  });

  it('bundles afresh when an imported file changes', () => {
    fs.writeFileSync(dependency, "export const value: string = 'second';\n");
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=second\n');
  });

  it('never caches a bundle whose source was edited while esbuild was reading it', () => {
    fs.writeFileSync(dependency, "export const value: string = 'before-edit';\n");
    try {
      // The editor saves after esbuild has read the old bytes and before the bundle is stored.
      const ran = loadTypeScript(entry, { hooks: { afterBuild: () => fs.writeFileSync(dependency, "export const value: string = 'after-edit';\n") } }) as { shown: string };
      expect(ran.shown).toBe('before-edit');
      expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=after-edit\n');
    } finally {
      fs.writeFileSync(dependency, "export const value: string = 'second';\n");
    }
  });

  it('bundles afresh when a new file changes what an import resolves to, though no bundled file changed', () => {
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=second\n');
    // esbuild prefers value.tsx to value.ts for "./value".
    fs.writeFileSync(path.join(dir, 'value.tsx'), "export const value: string = 'from-tsx';\n");
    try {
      expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=from-tsx\n');
    } finally {
      fs.rmSync(path.join(dir, 'value.tsx'));
    }
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=second\n');
  });

  it('still caches a bundle while files appear elsewhere in the project (other tests\' scratch files)', () => {
    fs.writeFileSync(dependency, "export const value: string = 'cached-despite-scratch';\n");
    const scratch = fs.mkdtempSync(path.join(PROJECT_ROOT, '__tests__', '.run-ts-scratch-'));
    try {
      const before = new Set(cacheFiles().map((f) => `${f}:${fs.statSync(path.join(cacheDir, f)).mtimeMs}`));
      loadTypeScript(entry, { hooks: { afterBuild: () => fs.writeFileSync(path.join(scratch, 'scratch.ts'), 'export {};\n') } });
      const rewritten = cacheFiles().filter((f) => !before.has(`${f}:${fs.statSync(path.join(cacheDir, f)).mtimeMs}`));
      expect(rewritten.filter((f) => fs.readFileSync(path.join(cacheDir, f), 'utf8').includes('cached-despite-scratch'))).toHaveLength(1);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.writeFileSync(dependency, "export const value: string = 'second';\n");
    }
  });

  it('bundles afresh when a new import appears', () => {
    fs.writeFileSync(path.join(dir, 'extra.ts'), "export const extra = 'third';\n");
    fs.writeFileSync(entry, "import { value } from './value';\nimport { extra } from './extra';\nconsole.log(`value=${value} ${extra}`);\n");
    expect(runScript('scripts/run.js', [entry]).stdout).toBe('value=second third\n');
  });
});
