import { spawnSync } from 'node:child_process';

/**
 * Suites that need a tool the machine may lack (openssl to make certificates, python3 for a
 * pseudo-terminal, the Azure Pipelines schema from ../shared). On a user's machine without it they are
 * skipped, and say why in their name; where REQUIRE_TEST_TOOLS=1 (.ci/run sets it), a missing tool is
 * a failing test instead, so CI can never pass by skipping what it was meant to run.
 */
export const TOOLS = {
  openssl: () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
  python3Pty: () => spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0,
} as const;

const required = () => process.env.REQUIRE_TEST_TOOLS === '1';

/** `describe` when `available`, else a skipped suite (or, in CI, one failing test naming what is missing). */
export function describeWith(available: boolean, missing: string): jest.Describe {
  if (available) return describe;
  if (required()) {
    return ((name: string) =>
      describe(name, () => {
        it(`cannot run: ${missing} is missing, and REQUIRE_TEST_TOOLS=1 says every suite must run`, () => {
          throw new Error(`${missing} is missing on this machine; install it (see .ci/run)`);
        });
      })) as unknown as jest.Describe;
  }
  return ((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${missing} is missing)`, fn)) as unknown as jest.Describe;
}

/** `it` when `available`, else a skipped test (or, in CI, a failing one naming what is missing). */
export function itWith(available: boolean, missing: string): jest.It {
  if (available) return it;
  if (required()) {
    return ((name: string) =>
      it(`${name} (cannot run: ${missing} is missing, and REQUIRE_TEST_TOOLS=1 says every test must run)`, () => {
        throw new Error(`${missing} is missing on this machine`);
      })) as unknown as jest.It;
  }
  return ((name: string, fn: jest.ProvidesCallback) => it.skip(`${name} (skipped: ${missing} is missing)`, fn)) as unknown as jest.It;
}
