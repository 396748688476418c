import fs from 'node:fs';
import { StepFailure } from './step-failure';

/**
 * Reads a file an operational step did not write itself (a state document, a manifest, a sealed plan) the
 * way the pre-flight reads certificates: opened once, refused unless it is a regular file, its size taken
 * from that descriptor before reading, and never more than `maxBytes` + 1 bytes read, so a directory, a
 * device or a 2 GiB file gets one line and not a stack trace or an exhausted heap.
 */
export function readBoundedFile(file: string, maxBytes: number, what: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StepFailure(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'not readable by this user' : code === 'EISDIR' ? 'a directory, not a file' : 'cannot be opened'} (${what})`);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isDirectory()) throw new StepFailure(`${file}: a directory, not a file (${what})`);
    if (!stats.isFile()) throw new StepFailure(`${file}: not a regular file (${what})`);
    if (stats.size > maxBytes) throw new StepFailure(`${file}: ${stats.size} bytes, more than the ${maxBytes} a ${what} may have`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new StepFailure(`${file}: more than the ${maxBytes} bytes a ${what} may have`);
    return buffer.subarray(0, length);
  } finally {
    fs.closeSync(fd);
  }
}
