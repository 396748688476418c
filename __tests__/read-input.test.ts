import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_CERTIFICATE_FILE_BYTES, readInput } from '../preflight/read-input';

describe('reading a certificate file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-input-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a link to /dev/zero as not a regular file, without reading it', async () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'client.pfx'));
    const outcome = await readInput(path.join(dir, 'client.pfx'));
    expect(outcome).toEqual({ kind: 'failed', finding: expect.objectContaining({ code: 'not-a-regular-file' }) });
  });

  it('never reads more than the cap from a path swapped for a bigger file after it was looked at', async () => {
    const file = path.join(dir, 'client.pfx');
    fs.writeFileSync(file, 'small certificate');
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, Buffer.alloc(4 * MAX_CERTIFICATE_FILE_BYTES, 1));
    // Whichever call first looks at the path, the path is swapped right after it: the race an attacker
    // (or a busy editor) wins when the size is checked on the path and the bytes are read from it again.
    const swap = () => {
      fs.rmSync(file);
      fs.symlinkSync(big, file);
    };
    let swapped = false;
    for (const method of ['stat', 'lstat', 'open'] as const) {
      const real = fs.promises[method].bind(fs.promises) as (...args: unknown[]) => Promise<unknown>;
      jest.spyOn(fs.promises, method).mockImplementation((async (...args: unknown[]) => {
        const result = await real(...args);
        if (!swapped && args[0] === file) {
          swapped = true;
          swap();
        }
        return result;
      }) as never);
    }
    const outcome = await readInput(file);
    expect(swapped).toBe(true);
    if (outcome.kind === 'read') {
      expect(outcome.bytes.length).toBeLessThanOrEqual(MAX_CERTIFICATE_FILE_BYTES);
      expect(outcome.bytes.toString()).toBe('small certificate');
    } else {
      expect(outcome.finding.code).toBe('file-too-large');
    }
  });

  it('refuses a regular file over the cap, reading one byte past it at most', async () => {
    fs.writeFileSync(path.join(dir, 'huge.pfx'), Buffer.alloc(MAX_CERTIFICATE_FILE_BYTES + 10, 1));
    const outcome = await readInput(path.join(dir, 'huge.pfx'));
    expect(outcome).toEqual({ kind: 'failed', finding: expect.objectContaining({ code: 'file-too-large' }) });
  });

  it('reads a file named by bytes that are not valid UTF-8', async () => {
    const name = Buffer.concat([Buffer.from(`${dir}/client-`), Buffer.from([0xff, 0xfe]), Buffer.from('.pfx')]);
    fs.writeFileSync(name, 'not really a certificate');
    const outcome = await readInput(name);
    expect(outcome).toEqual({ kind: 'read', bytes: Buffer.from('not really a certificate') });
  });
});
