import fs from 'node:fs';
import path from 'node:path';
import { parseStateDocument } from '../rotation/deployed-certificates';
import type { CommandRunner } from './command-runner';
import { StepFailure } from './step-failure';

/**
 * Terraform on one synthesized stack (`terraform -chdir=<stack>`), as the steps run it. Backend settings
 * from TF_BACKEND_CONFIG ("key=value" lines, to point a stack's state elsewhere without a new synth) go
 * into a private file passed with -backend-config=<file>, never onto a command line, where every process
 * of the machine can read them. JSON Terraform prints (state, plans) is read from its output into memory
 * and never written to a file: it holds the imported PFX files and passwords in clear.
 */
export interface TerraformOptions {
  readonly run: CommandRunner;
  readonly stackDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A private directory for the backend settings file. */
  readonly workDir: string;
  readonly signal?: AbortSignal;
}

export class TerraformCli {
  constructor(private readonly o: TerraformOptions) {}

  private async call(what: string, args: readonly string[], { capture = false } = {}): Promise<string> {
    const result = await this.o.run([`-chdir=${this.o.stackDir}`, ...args], { env: this.o.env, stdio: capture ? 'capture' : 'inherit', signal: this.o.signal, killGraceMs: null });
    if (result.failure === 'not-found') throw new StepFailure('terraform is not on PATH. Fix: install Terraform (docs/deploying.md, "Prerequisites"), or set TERRAFORM to its path');
    if (result.failure === 'cancelled' || result.signal) throw new StepFailure(`terraform ${what} was stopped (${result.signal ?? 'cancelled'}); nothing after it was run`, 130);
    if (result.failure === 'output-too-large') throw new StepFailure(`terraform ${what} printed more than this step reads; nothing after it was run`);
    if (result.status !== 0) {
      const detail = capture ? `: ${result.stderr.trim().split(/\r?\n/).filter(Boolean).pop() ?? ''}` : ' (see above)';
      throw new StepFailure(`terraform ${what} failed with exit ${result.status}${detail}`, result.status ?? 1);
    }
    return result.stdout;
  }

  /** The private -backend-config file, or no argument when TF_BACKEND_CONFIG is empty. */
  backendConfigArguments(): string[] {
    const lines = (this.o.env.TF_BACKEND_CONFIG ?? '').split(/\r?\n|;/).map((l) => l.trim()).filter(Boolean);
    if (!lines.length) return [];
    const hcl = lines.map((line) => {
      const match = /^([a-z_]+)=(.*)$/.exec(line);
      if (!match) throw new StepFailure(`TF_BACKEND_CONFIG has a line that is not key=value (keys are lower-case letters and _). Fix: write lines such as storage_account_name=stexample`);
      return `${match[1]} = ${JSON.stringify(match[2]).replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{')}`;
    });
    const file = path.join(this.o.workDir, 'backend.tfbackend');
    fs.writeFileSync(file, `${hcl.join('\n')}\n`, { mode: 0o600 });
    return [`-backend-config=${file}`];
  }

  async init({ lockfileReadonly = false } = {}): Promise<void> {
    await this.call('init', ['init', '-input=false', '-no-color', ...(lockfileReadonly ? ['-lockfile=readonly'] : []), ...this.backendConfigArguments()]);
  }

  /** `terraform show -json [plan]`, parsed; a document that is not JSON is named, never quoted. */
  async showJson(planFile?: string): Promise<unknown> {
    const text = await this.call(planFile ? 'show -json (plan)' : 'show -json (state)', ['show', '-json', ...(planFile ? [planFile] : [])], { capture: true });
    return parseStateDocument(text, planFile ? `terraform show -json of the saved plan` : 'terraform show -json of the state');
  }

  async showText(planFile: string): Promise<string> {
    return this.call('show', ['show', '-no-color', planFile], { capture: true });
  }

  async plan(args: readonly string[]): Promise<void> {
    await this.call('plan', ['plan', '-input=false', ...args]);
  }

  async apply(args: readonly string[]): Promise<void> {
    await this.call('apply', ['apply', ...args]);
  }
}
