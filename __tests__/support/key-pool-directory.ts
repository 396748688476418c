import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * jest's global setup: a private directory for this run's pooled test keys (support/key-pool.ts), named
 * in APIMCERT_TEST_KEY_POOL for the workers (they inherit this process's environment) and removed when
 * jest exits, so no key outlives the run that made it.
 */
export default function createKeyPoolDirectory(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apimcert-test-keys-'));
  process.env.APIMCERT_TEST_KEY_POOL = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
