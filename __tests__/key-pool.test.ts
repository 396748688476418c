import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeAbandonedPools } from './support/key-pool-directory';

// The test-key pool's directory is removed when jest exits; one whose jest was stopped by a signal is
// removed by the next run, and a live jest's (another npm test of this user, running now) never is.

describe("the test-key pool's directories", () => {
  it("removes the pools of jest processes that are gone, and keeps a live one's", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'key-pools-'));
    try {
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      const abandoned = path.join(tmp, `apimcert-test-keys-${gone}-a1b2c3`);
      const live = path.join(tmp, `apimcert-test-keys-${process.pid}-d4e5f6`);
      const unrelated = path.join(tmp, 'apimcert-test-keys-notapid');
      for (const dir of [abandoned, live, unrelated]) {
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'rsa-2048-0.pem'), 'key');
      }
      expect(removeAbandonedPools(tmp)).toEqual([abandoned]);
      expect([abandoned, live, unrelated].map((dir) => fs.existsSync(dir))).toEqual([false, true, true]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
