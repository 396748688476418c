// `npm run rehearse -- <env> [--keep]`: the environment's whole pipeline, run here against the Azure emulator
// (emulator/), before it touches Azure: synth, the pre-flight and rotation review, the plan job (with its
// summary page), the apply job with the APIM refresh, a second plan that must show no change, and the expiry
// report. The steps are the pipelines' own (operations/), with the real az CLI, the real Terraform and the
// real azurerm provider; only Azure is emulated (emulator/rehearsal.ts says what it seeds and changes).
//
// Needs: Linux (the azurerm provider is a Go program, which trusts the emulator's test CA through
// SSL_CERT_FILE only on Linux; on macOS and Windows it reads the system's store), az and terraform on PATH,
// the openssl CLI (the emulator makes its test CA with it), and the providers: a cached build
// (APIMCERT_AZURERM_PROVIDER_DIR, .ci/azurerm-provider.sh) or a download from the Terraform registry before
// the rehearsal starts (`terraform providers mirror`). Certificate files come from the variables the plan
// reads (TF_VAR_<stem>_pfx_path / _pfx_password, PEM_FILE_<stem>); a certificate without one is rehearsed
// with a self-signed certificate made for it.
// Exit codes: 0 every step as a pipeline needs it; 1 a step failed or the second plan was not empty;
// 2 usage, or nothing to rehearse with here; 128 + the signal's number for Ctrl-C (130), SIGTERM or SIGHUP
// (what the rehearsal wrote is removed first).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { certificateSourceVariables } from '../constructs/certificate-names';
import { Rehearsal } from '../emulator/rehearsal';
import { hasOpensslCli, makeStandInCertificate } from '../emulator/stand-in-certificates';
import { providerMirror, resolveProviders } from '../emulator/terraform-providers';
import { environments } from '../environments';
import { withoutSecrets } from '../operations/azure-cli';
import { reportCertificates } from '../operations/certificate-report';
import { findExecutable, processRunner } from '../operations/command-runner';
import { exitStatusOf, isInterruptingSignal, watchInterruptions } from '../operations/interruptions';
import { makePrivateDirectory } from '../operations/private-directory';
import { runStep } from '../operations/run-step';
import { readStackManifest } from '../operations/stack-manifest';
import { consoleLog, type StepLog } from '../operations/step-log';
import { StepFailure } from '../operations/step-failure';
import { printable } from '../text/printable';

const USAGE = 'usage: npm run rehearse -- <env> [--keep]';
const root = path.resolve(__dirname, '..');

runStep(async () => {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const names = args.filter((a) => a !== '--keep');
  if (names.length !== 1 || names[0].startsWith('-')) throw new StepFailure(USAGE, 2);
  const config = selectEnvironments(loadEnvironments(environments), names)[0];
  if (process.platform !== 'linux') {
    throw new StepFailure(
      `the rehearsal runs the real azurerm provider, which trusts the emulator's test CA only on Linux (on ${process.platform} a Go program reads the system's certificate store). Fix: run npm run rehearse in WSL, a Linux container or a Linux agent`,
      2,
    );
  }
  const az = findExecutable('az');
  const terraform = findExecutable(process.env.TERRAFORM || 'terraform');
  const missing = [!az && 'the Azure CLI (az)', !terraform && 'Terraform', !hasOpensslCli() && 'the openssl CLI (the emulator makes its test CA with it)'].filter(Boolean);
  if (missing.length) throw new StepFailure(`the rehearsal needs ${missing.join(', ')} on PATH. Fix: install ${missing.length > 1 ? 'them' : 'it'} (docs/deploying.md, "Prerequisites")`, 2);
  if (config.apiManagement.identity?.type === 'UserAssigned') throw new StepFailure(`${config.name}: a user-assigned identity for API Management is not emulated (Microsoft.ManagedIdentity); the rehearsal covers the system-assigned identity only`, 2);

  const out = consoleLog({});
  const work = await makePrivateDirectory(`rehearse-${config.name}`);
  const steps: { step: string; ok: boolean; seconds: number; note?: string }[] = [];
  let rehearsal: Rehearsal | undefined;
  // A signal (Ctrl-C) ends the rehearsal through its `finally`, which stops the emulator and removes what the
  // rehearsal wrote: stand-in certificates with their passwords, the local state, the emulator's test CA.
  const interruptions = watchInterruptions();
  const stopped = (signal: NodeJS.Signals) => new StepFailure(`stopped by ${signal}: the rehearsal ended${keep ? '' : ' and removed what it wrote'}`, exitStatusOf(signal));
  const timed = async <T>(step: string, run: () => Promise<T>, ok: (result: T) => boolean | string): Promise<T> => {
    interruptions.checkpoint();
    out.info('');
    out.info(`== ${step}`);
    const started = Date.now();
    const result = await run();
    const verdict = ok(result);
    steps.push({ step, ok: verdict === true, seconds: Math.round((Date.now() - started) / 1000), ...(typeof verdict === 'string' ? { note: verdict } : {}) });
    return result;
  };
  try {
    // 1. Synth of this environment alone, into the rehearsal's own directory (cdktf.out is left as it is).
    const outdir = path.join(work.path, 'cdktf.out');
    const synth = await timed(
      'synth',
      async () => spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js'), config.name], { cwd: root, stdio: 'inherit', env: { ...withoutSecrets(process.env), CDKTF_OUTDIR: outdir } }),
      (r) => r.status === 0 || `exit ${r.status ?? r.signal}`,
    );
    // Ctrl-C reaches synth and this process together, but this process's listener runs only once the event
    // loop turns: synth's own end is the first to say it was a signal.
    if (isInterruptingSignal(synth.signal)) throw stopped(synth.signal);
    if (!steps[0].ok) throw new StepFailure('synth failed (above); nothing was rehearsed');
    const stackDir = path.join(outdir, 'stacks', config.name);

    // 2. The certificate files the plan job will get.
    const certificates = certificateFiles(config, path.join(work.path, 'certificates'), out);

    // 3. The providers, installed without a registry once the emulator is in place.
    const cliConfigFile = providersConfig(stackDir, work.path, terraform!, out);

    rehearsal = await Rehearsal.start({
      config,
      work: work.path,
      az: processRunner(az!),
      terraform: processRunner(terraform!),
      cliConfigFile,
      log: (job) => prefixed(out, job),
      interruptions,
    });
    rehearsal.prepareStack(stackDir);
    out.info(`the emulator: subscription ${rehearsal.subscription}, this machine at ${rehearsal.env.AGENT_IP}; the RBAC waits are 3 s here (the stack's own: ${config.rbacPropagationWait ?? '120s'})`);

    const plan = await timed('plan job (plan, close-firewall)', () => rehearsal!.planJob(stackDir, certificates), (j) => !j.error || printable(j.error.message));
    showSummary(out, plan.summary);
    if (plan.error) throw new StepFailure(`the plan job failed: ${plan.error.message}`, 1);
    const apply = await timed('apply job (apply, APIM refresh, close-firewall)', () => rehearsal!.applyJob(stackDir, plan.planDir), (j) => !j.error || printable(j.error.message));
    if (apply.error) throw new StepFailure(`the apply job failed: ${apply.error.message}`, 1);
    // Day two: the same files again must plan nothing (a PEM converted alike, no drift the stack causes).
    const again = await timed('second plan job: must show no change', () => rehearsal!.planJob(stackDir, certificates), (j) => {
      if (j.error) return printable(j.error.message);
      const changes = /: (\d+) resource change\(s\)/.exec((j.log as PrefixedLog).lines.join('\n'))?.[1];
      return changes === '0' || `${changes ?? 'an unknown number of'} resource change(s)`;
    });
    showSummary(out, again.summary);
    const { tools } = rehearsal.job('expiry-report');
    await timed('expiry report (from the emulated Azure)', () => reportCertificates(tools, { manifest: readStackManifest(stackDir), source: { kind: 'azure' } }), (code) => code === 0 || `exit ${code}`);
    interruptions.checkpoint();
  } catch (error) {
    // The shell's status for the signal (130 for Ctrl-C), whatever the interrupted step made of it.
    const signal = interruptions.received;
    if (signal) throw stopped(signal);
    throw error;
  } finally {
    await rehearsal?.stop();
    if (keep) out.info(`kept: ${work.path} (job directories with their summaries, the plans, the local state: it holds the certificates and their passwords)`);
    else work.remove();
    interruptions.dispose();
  }

  out.info('');
  out.info('== rehearsal');
  for (const s of steps) out.info(`${s.ok ? 'ok    ' : 'FAILED'}  ${s.step} (${s.seconds} s)${s.note ? `: ${s.note}` : ''}`);
  out.info(
    'What this shows: the pipeline\'s own steps, the real az CLI, Terraform and azurerm provider, run end to end against an emulator of the Azure behaviour this project relies on (firewall, RBAC propagation, certificate versions, the APIM refresh), each as its REST specification and Microsoft\'s documentation describe it. What it cannot: it is not Azure. Quotas, policies, names taken by others, real propagation times and anything the emulator does not model show up only there (emulator/, README "Rehearsing a deployment").',
  );
  return steps.every((s) => s.ok) ? 0 : 1;
});

type PrefixedLog = StepLog & { readonly lines: string[] };

/** A job's lines, printed as they come with the job's name in front, and kept. */
function prefixed(out: StepLog, job: string): PrefixedLog {
  const lines: string[] = [];
  const keep = (line: string) => (lines.push(line), `[${job}] ${line}`);
  return {
    lines,
    info: (line) => out.info(keep(line)),
    warn: (line) => out.warn(keep(line)),
    error: (line) => out.error(keep(line)),
    command: () => undefined, // a pipeline's logging commands mean nothing here
  };
}

function showSummary(out: StepLog, summary: string): void {
  if (!summary.trim()) return;
  out.info('-- the summary page an approver would read:');
  for (const line of summary.trimEnd().split('\n')) out.info(`   ${line}`);
}

/** Each certificate's file for the plan job: the one the plan's variables name, or a self-signed stand-in made for the rehearsal. */
function certificateFiles(config: ReturnType<typeof selectEnvironments>[number], dir: string, out: StepLog): NodeJS.ProcessEnv {
  fs.mkdirSync(dir, { mode: 0o700 });
  const files: NodeJS.ProcessEnv = {};
  for (const certificate of config.certificates) {
    const format = certificate.format ?? 'pfx';
    const variables = certificateSourceVariables(certificate.name, format);
    if (process.env[variables.file]) {
      files[variables.file] = process.env[variables.file];
      if (variables.password) files[variables.password] = process.env[variables.password];
      out.info(`certificate ${certificate.name}: the file in ${variables.file}`);
      continue;
    }
    const made = makeStandInCertificate(dir, certificate.name, { format, key: certificate.key });
    files[variables.file] = made.file;
    if (variables.password && made.password) files[variables.password] = made.password;
    out.info(`certificate ${certificate.name}: ${variables.file} is not set, so a self-signed certificate made for the rehearsal stands in for it`);
  }
  return files;
}

/** A Terraform CLI configuration that installs the stack's providers from a local mirror: a cached build, or one downloaded now. */
function providersConfig(stackDir: string, work: string, terraform: string, out: StepLog): string {
  const resolved = resolveProviders();
  if ('providers' in resolved) {
    out.info(`providers: the cached builds (${path.dirname(resolved.providers.azurerm)})`);
    return providerMirror(resolved.providers, work).cliConfigFile;
  }
  // From the registry, as terraform init would get them, before anything points at the emulator.
  const mirror = path.join(work, 'providers');
  out.info(`providers: downloading the stack's into ${mirror} (terraform providers mirror)`);
  const result = spawnSync(terraform, [`-chdir=${stackDir}`, 'providers', 'mirror', mirror], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...withoutSecrets(process.env), CHECKPOINT_DISABLE: '1' } });
  if (result.status !== 0) throw new StepFailure(`terraform providers mirror failed (above): the rehearsal needs the providers from the Terraform registry, or a cached build (APIMCERT_AZURERM_PROVIDER_DIR). ${resolved.missing}`, 2);
  const file = path.join(work, 'terraform.rc');
  fs.writeFileSync(file, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
  return file;
}
