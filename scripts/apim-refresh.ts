// `npm run apim:refresh -- <env>`: makes API Management serve Key Vault's current version of each of the
// environment's certificates now, and proves it (operations/apim-refresh.ts): what `npm run deploy` and the
// pipelines' apply do after every apply, on its own. Needs `az login`; reads the stack `npm run synth` wrote.
import path from 'node:path';
import { refreshStack } from '../operations/apim-refresh';
import { watchInterruptions } from '../operations/interruptions';
import { runStep } from '../operations/run-step';
import { defaultTools } from '../operations/step-tools';
import { StepFailure } from '../operations/step-failure';

// A signal (Ctrl-C) lets the refresh remove its private working directory before the command ends.
const interruptions = watchInterruptions();

runStep(() =>
  interruptions.settle(async () => {
    const [name] = process.argv.slice(2);
    if (!name || !/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new StepFailure('usage: npm run apim:refresh -- <env>', 2);
    const root = path.resolve(__dirname, '..');
    await refreshStack(defaultTools(process.env, interruptions), { stackDir: path.join(path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'), 'stacks', name) });
  }),
);
