import { constants as fsConstants, promises as fs } from 'node:fs';
import { error, type Finding } from './findings';
import { shellQuote } from './openssl-commands';

// A PFX with a long chain is a few tens of kilobytes; anything far bigger is the wrong file, and
// refusing it early keeps a mistyped path (a disk image, a log) from being read into memory.
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;

export type ReadInputOutcome = { kind: 'read'; bytes: Buffer } | { kind: 'failed'; finding: Finding };

/**
 * Reads the file, turning every file-system failure into a finding instead of an exception. The path is
 * opened once and everything is decided on that descriptor: checking the path first and reading it
 * afterwards let a path swapped in between (a link to /dev/zero) be read without bound. O_NONBLOCK keeps
 * a FIFO from blocking the open; it is refused as not a regular file anyway.
 */
export async function readInput(path: string | Buffer): Promise<ReadInputOutcome> {
  const shown = typeof path === 'string' ? path : path.toString('utf8');
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (cause) {
    return { kind: 'failed', finding: fileSystemFinding(cause, shown) };
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) {
      return {
        kind: 'failed',
        finding: error('is-directory', 'this is a directory, not a certificate file.', `pass the .pfx or .pem file inside it, e.g. \`npm run cert:check -- ${shellQuote(`${shown.replace(/\/+$/, '')}/`)}*.pfx\`.`),
      };
    }
    if (!stats.isFile()) {
      return {
        kind: 'failed',
        finding: error('not-a-regular-file', 'this is not a regular file (a device, socket or pipe).', 'pass the path of a .pfx or .pem file.'),
      };
    }
    // At most one byte past the cap, whatever the size said: a file may grow after fstat.
    const buffer = Buffer.alloc(MAX_CERTIFICATE_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_CERTIFICATE_FILE_BYTES) {
      const size = Math.max(stats.size, length);
      return {
        kind: 'failed',
        finding: error('file-too-large', `the file is ${size === length ? 'more than 1 MiB' : `${size} bytes`}, far too large to be a certificate (1 MiB at most).`, 'check that the path points at the certificate and not at another file.'),
      };
    }
    return { kind: 'read', bytes: buffer.subarray(0, length) };
  } catch (cause) {
    return { kind: 'failed', finding: fileSystemFinding(cause, shown) };
  } finally {
    await handle.close();
  }
}

// Only the error code is looked at: the error's message repeats the path and the syscall, which the
// output already names better.
function fileSystemFinding(cause: unknown, path: string): Finding {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return error('missing-path', 'no file or directory exists at this path.', 'check the spelling and the current directory (paths are relative to where the command runs).');
    case 'ENOTDIR':
      return error('missing-path', 'a part of this path is a file, not a directory, so the file cannot exist.', 'check the spelling of the path.');
    case 'EISDIR':
      return error('is-directory', 'this is a directory, not a certificate file.', 'pass the .pfx or .pem file inside it.');
    case 'EACCES':
    case 'EPERM':
      return error('unreadable-path', 'the file exists but this user may not read it.', `grant read access (e.g. \`chmod u+r ${shellQuote(path)}\`) or run as the file's owner.`);
    default:
      return error('unreadable-path', 'the file could not be read.', 'check that the path exists and is readable.');
  }
}
