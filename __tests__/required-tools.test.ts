import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './support/run-command';

// A suite whose tool is missing: skipped (and saying why) on a user's machine, failing where CI demands it.
describe('suites that need a missing tool', () => {
  const dir = path.join(PROJECT_ROOT, '__tests__', `probe-required-tools-${process.pid}`);
  const runProbe = (env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', dir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  beforeAll(() => {
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'probe.test.ts'),
      "import { describeWith } from '../support/required-tools';\ndescribeWith(false, 'probe-tool')('needs probe-tool', () => {\n  it('runs', () => expect(1).toBe(1));\n});\n",
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are skipped with the reason on a machine that does not require them', () => {
    const result = runProbe({ REQUIRE_TEST_TOOLS: undefined });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/Tests:\s+1 skipped, 1 total/);
  });

  it('fail, naming the tool, where REQUIRE_TEST_TOOLS=1', () => {
    const result = runProbe({ REQUIRE_TEST_TOOLS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cannot run: probe-tool is missing, and REQUIRE_TEST_TOOLS=1 says every suite must run');
  });
});
