import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../../operations/private-directory';

const PREFIX = 'apimcert-test-keys-';
const POOL_NAME = new RegExp(`^${PREFIX}(\\d+)-`);

/**
 * jest's global setup: a private directory for this jest process's pooled test keys (support/key-pool.ts),
 * named in APIMCERT_TEST_KEY_POOL for the workers (they inherit this process's environment) and removed
 * when jest exits. A jest ended by a signal (Ctrl-C) runs no exit handler and leaves its directory: the
 * name carries jest's pid, and the next run removes every such directory of this user whose jest is gone.
 * A rerun in the same process (jest --watch) and a jest started by a test (a project copy's) reuse the
 * directory they are given rather than make one more.
 */
export default function createKeyPoolDirectory(): void {
  const given = process.env.APIMCERT_TEST_KEY_POOL;
  if (given && fs.existsSync(given)) return;
  removeAbandonedPools();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  process.env.APIMCERT_TEST_KEY_POOL = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/** The pools of this user's jest processes that are gone. */
export function removeAbandonedPools(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmp)) {
    const pid = POOL_NAME.exec(name)?.[1];
    if (!pid || processAlive(Number(pid))) continue;
    const dir = path.join(tmp, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return removed;
}
