/**
 * The operational steps of the generated pipelines, one command each (operations/):
 *   plan <stack dir> <out dir>          the plan job: providers, firewall, review, plan, seal, summary
 *   apply <stack dir> <plan dir>        the apply job: the sealed plan, firewall, rules converged, apply
 *   close-firewall <stack dir>          always after a plan or apply: what the job opened, removed
 *   apim-refresh <stack dir>            after an apply: APIM serves Key Vault's current certificates
 *   expiry-report <stack dir> <summary> the weekly report, from Azure as it is now
 *   install-terraform <version> <dir>   Terraform for this agent's OS and architecture, checked
 *   require-reviewers                   GitHub: the apply job's environment must have required reviewers
 * Exit statuses: 0 done; 1 a failure or refusal, named on one line; 2 a usage error or a crash; 128 + the
 * signal's number when stopped by SIGINT (130), SIGTERM or SIGHUP, after the step's own cleanup.
 */
import { applyStack, closeFirewall } from '../operations/apply-stack';
import { refreshStack } from '../operations/apim-refresh';
import { reportCertificates } from '../operations/certificate-report';
import { installTerraform } from '../operations/install-terraform';
import { watchInterruptions } from '../operations/interruptions';
import { planStack } from '../operations/plan-stack';
import { requireReviewers } from '../operations/required-reviewers';
import { runStep } from '../operations/run-step';
import { readStackManifest } from '../operations/stack-manifest';
import { defaultTools } from '../operations/step-tools';
import { StepFailure } from '../operations/step-failure';

const USAGE = 'usage: node scripts/run.js scripts/pipeline-step.ts plan|apply|close-firewall|apim-refresh|expiry-report <stack dir> [<dir or file>] | install-terraform <version> <dir> | require-reviewers';

// A signal that reaches a step with something to undo (SIGINT or SIGTERM of a cancelled job, Ctrl-C where a
// step is run by hand) lets its own cleanup run first: the firewall rule it opened removed, its clear files
// deleted. The close-firewall step, which the pipelines run always, stays the backstop for a step killed
// outright. The other steps (a download, an API read) end at once, as Node does by default.
const CLEANS_UP = ['plan', 'apply', 'close-firewall', 'apim-refresh', 'expiry-report'];
const interruptions = CLEANS_UP.includes(process.argv[2] ?? '') ? watchInterruptions() : undefined;

runStep(() => (interruptions ? interruptions.settle(runPipelineStep) : runPipelineStep()));

async function runPipelineStep(): Promise<number | void> {
  const [step, first, second] = process.argv.slice(2);
  const tools = defaultTools(process.env, interruptions);
  const need = (value: string | undefined) => {
    if (!value) throw new StepFailure(USAGE, 2);
    return value;
  };
  switch (step) {
    case 'plan':
      return planStack(tools, { stackDir: need(first), outDir: need(second) });
    case 'apply':
      return applyStack(tools, { stackDir: need(first), planDir: need(second) });
    case 'close-firewall':
      return closeFirewall(tools, { stackDir: need(first) });
    case 'apim-refresh':
      return refreshStack(tools, { stackDir: need(first) });
    case 'expiry-report':
      return reportCertificates(tools, { manifest: readStackManifest(need(first)), source: { kind: 'azure' }, summaryFile: need(second) });
    case 'install-terraform': {
      const dir = await installTerraform(need(first), need(second));
      // Azure DevOps: on PATH for the rest of the job.
      process.stdout.write(`installed Terraform ${first} in ${dir}\n##vso[task.prependpath]${dir}\n`);
      return;
    }
    case 'require-reviewers':
      return requireReviewers(process.env);
    default:
      throw new StepFailure(USAGE, 2);
  }
}
