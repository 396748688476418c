// `npm run cert:rotation -- <env> [--state-json FILE] [--markdown FILE] [--allow-earlier-expiry] [--allow-policy-change NAME]`:
// the review that runs before every plan (operations/rotation-review.ts), on its own: what each certificate
// file about to be imported does to what Key Vault holds (new, unchanged, rotating old → new), and the
// changes refused before a plan: a policy or key change (azurerm would have Key Vault generate a new key),
// an EC key the environment did not accept, a certificate that expires before the one in place.
// The files come from the same variables as the plan (TF_VAR_<stem>_pfx_path and _pfx_password, or
// PEM_FILE_<stem>); the current certificates from `terraform show -json` of the stack's state (none: all new).
// Exit codes: 0 fine; 1 a file fails the pre-flight or a change is refused; 2 usage or unreadable input.
import fs from 'node:fs';
import { deploymentManifest } from '../config/deployment-manifest';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { environments } from '../environments';
import { checkSources, readCertificateSources } from '../operations/certificate-sources';
import { reviewRotation, rotationOverrides } from '../operations/rotation-review';
import { runStep } from '../operations/run-step';
import { addRotationTable, RunSummary } from '../operations/run-summary';
import { consoleLog } from '../operations/step-log';
import { StepFailure } from '../operations/step-failure';
import { type DeployedCertificate, readDeployedCertificates } from '../rotation/deployed-certificates';
import { describeRotation } from '../rotation/rotation-plan';
import { printable } from '../text/printable';

const USAGE = 'usage: npm run cert:rotation -- <env> [--state-json FILE] [--markdown FILE] [--allow-earlier-expiry] [--allow-policy-change <certificate>]';

runStep(async () => {
  const argv = process.argv.slice(2);
  let name: string | undefined;
  let stateFile: string | undefined;
  let markdownFile: string | undefined;
  let allowEarlierExpiry = false;
  const allowPolicyChange: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--state-json' && argv[i + 1] !== undefined) stateFile = argv[++i];
    else if (arg === '--markdown' && argv[i + 1] !== undefined) markdownFile = argv[++i];
    else if (arg === '--allow-earlier-expiry') allowEarlierExpiry = true;
    else if (arg === '--allow-policy-change' && argv[i + 1] !== undefined) allowPolicyChange.push(argv[++i]);
    else if (!arg.startsWith('-') && name === undefined) name = arg;
    else throw new StepFailure(`cert:rotation: unexpected argument ${printable(arg)}\n${USAGE}`, 2);
  }
  if (!name) throw new StepFailure(`cert:rotation: name the environment\n${USAGE}`, 2);
  const log = consoleLog();
  const [config] = selectEnvironments(loadEnvironments(environments), [name]);
  const manifest = deploymentManifest(config);
  const deployed: DeployedCertificate[] = stateFile ? readDeployedCertificates(stateFile) : [];
  let sources;
  try {
    sources = await readCertificateSources(manifest, process.env);
  } catch (error) {
    if (error instanceof StepFailure) throw new StepFailure(error.message, 2);
    throw error;
  }
  const { checked, lines, failed } = await checkSources(sources);
  for (const line of lines) log.info(line);
  if (failed) return 1;
  const overrides = rotationOverrides(process.env, { allowEarlierExpiry, allowPolicyChange });
  const review = reviewRotation(checked, deployed, overrides);
  for (const line of review.lines) log.info(describeRotation(line, overrides));
  if (markdownFile) fs.writeFileSync(markdownFile, addRotationTable(new RunSummary(), config.name, review.lines, overrides).toString());
  for (const refusal of review.refused) log.error(refusal);
  return review.refused.length ? 1 : 0;
});
