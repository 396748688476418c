import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBoundedFile } from '../operations/bounded-file';

// A file a step did not write (--state-json, a manifest, a sealed plan) is read once, as a regular file of
// bounded size; anything else is one line naming the file, never a stack trace or an exhausted heap.

describe('reading a file a step did not write', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bounded-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file within the bound', () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, '{"values":{}}');
    expect(readBoundedFile(file, 64, 'state document').toString()).toBe('{"values":{}}');
  });

  it('refuses a directory, a missing file and a file over the bound, in one line each', () => {
    const large = path.join(dir, 'large.json');
    fs.writeFileSync(large, Buffer.alloc(65, 0x20));
    expect(() => readBoundedFile(dir, 64, 'state document')).toThrow(`${dir}: a directory, not a file (state document)`);
    expect(() => readBoundedFile(path.join(dir, 'absent.json'), 64, 'state document')).toThrow(`${path.join(dir, 'absent.json')}: no such file (state document)`);
    expect(() => readBoundedFile(large, 64, 'state document')).toThrow(`${large}: 65 bytes, more than the 64 a state document may have`);
  });

  it('refuses what is not a regular file, such as a FIFO, without waiting for a writer', () => {
    if (process.platform === 'win32') return; // no mkfifo
    const fifo = path.join(dir, 'state.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readBoundedFile(fifo, 64, 'state document')).toThrow(`${fifo}: not a regular file (state document)`);
  });
});
