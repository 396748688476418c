// `npm run validate [-- <stack dir>...]`: Terraform's own `init -backend=false` and `validate` of every
// synthesized stack (cdktf.out/stacks/*), against the providers from the registry, each in a temporary
// copy so that nothing of Terraform's (.terraform/, the lock file) lands in cdktf.out. What the pipelines'
// synth stage and pull-request validation run; `npm test` does the same offline with ../shared/tf-offline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processRunner } from '../operations/command-runner';
import { runStep } from '../operations/run-step';
import { StepFailure } from '../operations/step-failure';
import { printable } from '../text/printable';

runStep(async () => {
  const root = path.resolve(__dirname, '..');
  const given = process.argv.slice(2);
  const stacksDir = path.join(path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'), 'stacks');
  const stacks = given.length ? given.map((d) => path.resolve(d)) : fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort().map((s) => path.join(stacksDir, s)) : [];
  if (!stacks.length) throw new StepFailure(`no stacks in ${stacksDir}. Fix: npm run synth first`);
  const terraform = processRunner(process.env.TERRAFORM || 'terraform');
  let failed = 0;
  for (const stack of stacks) {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'apimcert-validate-'));
    try {
      fs.cpSync(stack, copy, { recursive: true, filter: (file) => !/[\\/]\.terraform([\\/]|$)|\.terraform\.lock\.hcl$/.test(file) });
      const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
      const init = await terraform([`-chdir=${copy}`, 'init', '-backend=false', '-input=false', '-no-color'], { env });
      if (init.failure === 'not-found') throw new StepFailure('terraform is not on PATH. Fix: install Terraform (docs/deploying.md, "Prerequisites")');
      const validate = init.status === 0 ? await terraform([`-chdir=${copy}`, 'validate', '-no-color'], { env }) : init;
      const ok = validate.status === 0;
      process.stdout.write(`${printable(path.basename(stack))}: ${ok ? 'valid' : 'INVALID'}\n`);
      if (!ok) {
        failed += 1;
        process.stdout.write(`${(validate.stdout + validate.stderr).split('\n').map((l) => `  ${printable(l)}`).join('\n')}\n`);
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }
  if (failed) throw new StepFailure(`${failed} of ${stacks.length} stack(s) do not validate (above)`);
});
