import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './run-command';

// What synth and the generators read: the sources, not the tests or the tooling around them.
const SOURCES = ['main.ts', 'package.json', 'tsconfig.json', 'cdktf.json', 'config', 'constructs', 'environments', 'policies', 'preflight', 'scripts', 'pipelines', 'analysis', 'text', 'rotation', 'operations', 'emulator', '.github', 'renovate.json', 'toolchains'];
// What running jest there needs besides.
const TESTS = ['__tests__', 'jest.config.js'];

/**
 * A throw-away copy of the project's sources with node_modules linked in, for tests that must change
 * an environment file or break something without touching the working tree other tests read. It sits
 * in a directory of its own, beside a link to ../shared when the project has one, as in CI.
 */
export function copyProject({ withTests = false } = {}): { dir: string; remove: () => void } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'project-copy-'));
  const dir = path.join(parent, 'main');
  fs.mkdirSync(dir);
  for (const entry of [...SOURCES, ...(withTests ? TESTS : [])]) {
    const from = path.join(PROJECT_ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), { recursive: true, filter: (file) => !/\/(\.run-ts-|probe-required-tools-|node_modules$)/.test(file) });
  }
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const shared = path.resolve(PROJECT_ROOT, '..', 'shared');
  if (fs.existsSync(shared)) fs.symlinkSync(shared, path.join(parent, 'shared'));
  return { dir, remove: () => fs.rmSync(parent, { recursive: true, force: true }) };
}
