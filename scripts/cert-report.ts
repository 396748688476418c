// `npm run cert:report -- <env> [--from azure|state] [--warn-days N] [--json]`, or
// `npm run cert:report -- --state-json FILE [--env <env>] [--warn-days N] [--json]`: each certificate's
// current version in Key Vault, its expiry, and whether API Management serves it (operations/certificate-report.ts).
//   --from azure (the default): Azure as it is now, read with the Azure CLI (az login first); this machine is
//                let through the vault's firewall for the reads, as --allow-my-ip does.
//   --from state: what the last apply recorded; the command runs terraform init on the stack itself and
//                reads the state into memory (it holds every imported PFX and password in clear: never
//                write it to a file).
// The warning threshold is the environment's expiryWarnings.daysBeforeExpiry unless --warn-days says otherwise.
// Exit codes: 0 every declared certificate found, read and fine; 1 one needs action; 2 one could not be
// judged, the report could not be made, or a usage error; 128 + the signal's number when stopped by Ctrl-C
// (130), SIGTERM or SIGHUP, after the report's cleanup.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { environments } from '../environments';
import { reportCertificates } from '../operations/certificate-report';
import { watchInterruptions } from '../operations/interruptions';
import { withoutSecrets } from '../operations/azure-cli';
import { runStep } from '../operations/run-step';
import { readStackManifest } from '../operations/stack-manifest';
import { defaultTools } from '../operations/step-tools';
import { StepFailure } from '../operations/step-failure';
import { parseStateDocument, MAX_STATE_BYTES, StateDocumentError } from '../rotation/deployed-certificates';
import { readBoundedFile } from '../operations/bounded-file';
import { printable } from '../text/printable';

const USAGE = 'usage: npm run cert:report -- <env> [--from azure|state] [--warn-days N] [--json]   |   npm run cert:report -- --state-json FILE [--env <env>] [--warn-days N] [--json]';
const root = path.resolve(__dirname, '..');

// A signal lets the report finish its cleanup (the rule it let through the vault's firewall is removed, the
// state's working directory deleted) before the command ends with the signal's status.
const interruptions = watchInterruptions();

runStep(() => interruptions.settle(report));

async function report(): Promise<number> {
  const argv = process.argv.slice(2);
  let name: string | undefined;
  let stateFile: string | undefined;
  let from: 'azure' | 'state' = 'azure';
  let warnDays: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--state-json' && argv[i + 1] !== undefined) stateFile = argv[++i];
    else if (arg === '--env' && argv[i + 1] !== undefined) name = argv[++i];
    else if (arg === '--from' && (argv[i + 1] === 'azure' || argv[i + 1] === 'state')) from = argv[++i] as 'azure' | 'state';
    else if (arg === '--warn-days' && /^\d{1,3}$/.test(argv[i + 1] ?? '')) warnDays = Number(argv[++i]);
    else if (!arg.startsWith('-') && name === undefined) name = arg;
    else throw new StepFailure(`cert:report: ${arg === '--warn-days' ? '--warn-days needs a whole number of days' : `unexpected argument ${printable(arg)}`}\n${USAGE}`, 2);
  }
  if (!name && !stateFile) throw new StepFailure(`cert:report: name the environment, or give --state-json FILE\n${USAGE}`, 2);
  const tools = defaultTools(process.env, interruptions);
  const config = name ? selectEnvironments(loadEnvironments(environments), [name])[0] : undefined;
  if (stateFile) {
    let text: string;
    try {
      text = readBoundedFile(stateFile, MAX_STATE_BYTES, 'state document').toString('utf8');
    } catch (error) {
      // Unreadable input is exit 2, as is every report that could not be made.
      throw new StepFailure(`cert:report: ${(error as Error).message}`, 2);
    }
    const document = parseStateDocument(text, stateFile);
    try {
      return await reportCertificates(tools, { manifest: config && deploymentManifest(config), source: { kind: 'document', document }, warnDays, json });
    } catch (error) {
      // What is wrong inside the document, said with the document's name and the fix.
      if (error instanceof StateDocumentError) throw new StateDocumentError(`${printable(stateFile)}: ${error.message}. Fix: pass the output of \`terraform show -json\` run in the stack's directory`);
      throw error;
    }
  }
  if (from === 'azure') return reportCertificates(tools, { manifest: deploymentManifest(config!), source: { kind: 'azure' }, warnDays, json });
  // The state's view needs the stack itself: synthesized afresh, as npm run plan does.
  const synth = spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: withoutSecrets(process.env) });
  if (synth.status !== 0) throw new StepFailure('synth failed (above); no report', 2);
  const stackDir = path.join(path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'), 'stacks', config!.name);
  return reportCertificates(tools, { manifest: readStackManifest(stackDir), source: { kind: 'state', stackDir }, warnDays, json });
}
