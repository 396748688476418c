// `npm run plan -- <env> ...` and `npm run deploy -- <env> ...`: operations/workstation.ts.
import path from 'node:path';
import { defaultTools } from '../operations/step-tools';
import { runStep } from '../operations/run-step';
import { runWorkstation } from '../operations/workstation';
import { StepFailure } from '../operations/step-failure';

// Ctrl-C reaches Terraform from the terminal by itself, and a running az call through the command runner (az
// runs in a process group of its own); passing it on to Terraform as well would make it stop at once
// instead of releasing the state lock, so here it is only noted, and the next step is not begun.
// SIGTERM and SIGHUP reach this process alone: they are passed on to the running tool.
let interrupted: NodeJS.Signals | undefined;
const stop = new AbortController();
process.on('SIGINT', () => (interrupted = 'SIGINT'));
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted = signal;
    stop.abort();
  });
}

const exitStatus = (signal: NodeJS.Signals) => 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal];

runStep(async () => {
  try {
    await runWorkstation(process.argv.slice(2), {
      tools: defaultTools(process.env, stop.signal),
      root: path.resolve(__dirname, '..'),
      interactive: Boolean(process.stdin.isTTY),
      checkpoint: () => {
        if (interrupted) throw new StepFailure(`stopped by ${interrupted}; the steps after this one were not run`, exitStatus(interrupted));
      },
    });
  } catch (error) {
    // However the step in flight ended, a signal decides the status: the shell's convention, 128 + its number.
    if (interrupted && error instanceof StepFailure) throw new StepFailure(error.message, exitStatus(interrupted));
    throw error;
  }
  if (interrupted) throw new StepFailure(`stopped by ${interrupted}`, exitStatus(interrupted));
});
