import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './run-command';

// What synth reads: the sources, not the tests or the tooling around them.
const SOURCES = ['main.ts', 'package.json', 'tsconfig.json', 'cdktf.json', 'config', 'constructs', 'environments', 'policies', 'preflight', 'scripts', 'pipelines', 'analysis', 'text', 'rotation'];

/**
 * A throw-away copy of the project's sources with node_modules linked in, for tests that must change
 * an environment file or break something without touching the working tree other tests read.
 */
export function copyProject(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-copy-'));
  for (const entry of SOURCES) {
    const from = path.join(PROJECT_ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
