import { processRunner } from '../../operations/command-runner';

// For command-runner.test.ts: a command that runs a long captured child, as a step runs az. The child writes
// its pid to the file named on the command line, so the test can see whether Ctrl-C reached it.
const pidFile = process.argv[2];
void processRunner(process.execPath)(['-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000)`]);
