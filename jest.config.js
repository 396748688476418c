// @swc/jest strips types without checking them: type checking runs once, separately (`npm run typecheck`),
// instead of once per test file as ts-jest would.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // One worker per core, not jest's default of cores - 1: many suites wait on child processes (synth,
  // openssl, action-validator), so two workers on a 2-core machine took 14.6 s against 19.9 s.
  maxWorkers: '100%',
  // Most tests start real programs (node, openssl, az, terraform). Five seconds (jest's default) is a guard
  // against a hang that a busy CI machine can trip for a test that takes two here; a hang still fails.
  testTimeout: 30_000,
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/__tests__/support/key-pool-directory.ts',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
};
