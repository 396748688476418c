// `npm run plan -- <env> ...` and `npm run deploy -- <env> ...`: operations/workstation.ts.
import path from 'node:path';
import { watchInterruptions } from '../operations/interruptions';
import { defaultTools } from '../operations/step-tools';
import { runStep } from '../operations/run-step';
import { runWorkstation } from '../operations/workstation';

// Ctrl-C reaches Terraform from the terminal by itself, and a running az call through the command runner (az
// runs in a process group of its own); passing it on to Terraform as well would make it stop at once
// instead of releasing the state lock, so here it is only noted, and the next step is not begun.
// SIGTERM and SIGHUP reach this process alone: they are passed on to the running tool.
const interruptions = watchInterruptions();

runStep(() =>
  interruptions.settle(() =>
    runWorkstation(process.argv.slice(2), {
      tools: defaultTools(process.env, interruptions),
      root: path.resolve(__dirname, '..'),
      interactive: Boolean(process.stdin.isTTY),
      checkpoint: () => interruptions.checkpoint(),
    }),
  ),
);
