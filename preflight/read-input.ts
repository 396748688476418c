import { promises as fs } from 'node:fs';
import { error, type Finding } from './findings';
import { shellQuote } from './openssl-commands';

// A PFX with a long chain is a few tens of kilobytes; anything far bigger is the wrong file, and
// refusing it early keeps a mistyped path (a disk image, a log) from being read into memory.
const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;

export type ReadInputOutcome = { kind: 'read'; bytes: Buffer } | { kind: 'failed'; finding: Finding };

/** Reads the file, turning every file-system failure into a finding instead of an exception. */
export async function readInput(path: string): Promise<ReadInputOutcome> {
  let stats;
  try {
    stats = await fs.stat(path);
  } catch (cause) {
    return { kind: 'failed', finding: fileSystemFinding(cause, path) };
  }
  if (stats.isDirectory()) {
    return {
      kind: 'failed',
      finding: error('is-directory', 'this is a directory, not a certificate file.', `pass the .pfx or .pem file inside it, e.g. \`npm run cert:check -- ${shellQuote(`${path.replace(/\/+$/, '')}/`)}*.pfx\`.`),
    };
  }
  if (!stats.isFile()) {
    return {
      kind: 'failed',
      finding: error('not-a-regular-file', 'this is not a regular file (a device, socket or pipe).', 'pass the path of a .pfx or .pem file.'),
    };
  }
  if (stats.size > MAX_CERTIFICATE_FILE_BYTES) {
    return {
      kind: 'failed',
      finding: error('file-too-large', `the file is ${stats.size} bytes, far too large to be a certificate (1 MiB at most).`, 'check that the path points at the certificate and not at another file.'),
    };
  }
  try {
    const bytes = await fs.readFile(path);
    return { kind: 'read', bytes };
  } catch (cause) {
    return { kind: 'failed', finding: fileSystemFinding(cause, path) };
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
