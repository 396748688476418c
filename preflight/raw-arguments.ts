import fs from 'node:fs';

/**
 * The command-line arguments that are not valid UTF-8, as the bytes the user gave. Node decodes argv as
 * UTF-8 and puts U+FFFD where it cannot, so such a file name, a legal Linux name, would be reported as
 * missing. On Linux the kernel keeps the original bytes in /proc/self/cmdline; the last `argv.length`
 * entries there are these arguments. Elsewhere, or when the two do not line up, nothing is returned and
 * the decoded strings are used.
 */
export function rawArguments(argv: readonly string[]): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  if (!argv.some((arg) => arg.includes('\ufffd'))) return found;
  let cmdline: Buffer;
  try {
    cmdline = fs.readFileSync('/proc/self/cmdline');
  } catch {
    return found;
  }
  const entries: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] === 0) {
      entries.push(cmdline.subarray(start, i));
      start = i + 1;
    }
  }
  const tail = entries.slice(-argv.length);
  if (tail.length !== argv.length) return found;
  argv.forEach((arg, i) => {
    if (arg.includes('\ufffd') && tail[i].toString('utf8') === arg) found.set(arg, Buffer.from(tail[i]));
  });
  return found;
}
