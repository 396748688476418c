import fs from 'node:fs';
import { processRunner } from '../../operations/command-runner';

// For command-runner.test.ts: a command that runs a long captured child, as a step runs az. The child writes
// its pid to the file named on the command line, so the test can see whether Ctrl-C reached it.
// With `cleanup` as the second argument it is a command that takes Ctrl-C (as interruptions.ts does) and
// runs a cleanup's call, which Ctrl-C must not stop: the child waits a second and a half, then ends by
// itself, and how it ended is written to <pid file>.result.
const [pidFile, mode] = process.argv.slice(2);
const cleanup = mode === 'cleanup';
if (cleanup) process.on('SIGINT', () => undefined);
void processRunner(process.execPath)(['-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, ${cleanup ? 1500 : 60000})`], { cleanup }).then((result) => {
  if (cleanup) {
    fs.writeFileSync(`${pidFile}.result`, JSON.stringify([result.status, result.signal]));
    process.exit(0);
  }
});
