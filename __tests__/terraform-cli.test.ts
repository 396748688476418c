import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner, RunOptions } from '../operations/command-runner';
import { TerraformCli } from '../operations/terraform-cli';

// How the steps call Terraform: what reaches its command line (every process of the machine can read a
// command line, and pipeline logs print it), and what a step says when Terraform's JSON is not JSON.

describe('terraform as the steps run it', () => {
  let work: string;
  const calls: { args: readonly string[]; options?: RunOptions }[] = [];
  let stdout = '';
  const run: CommandRunner = async (args, options) => {
    calls.push({ args, options });
    return { status: 0, signal: null, stdout, stderr: '' };
  };
  const terraform = (env: NodeJS.ProcessEnv) => new TerraformCli({ run, stackDir: path.join(work, 'stack'), env, workDir: work });

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'terraform-cli-'));
    calls.length = 0;
    stdout = '';
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('passes TF_BACKEND_CONFIG as a private file, never on the command line', async () => {
    const env = { TF_BACKEND_CONFIG: 'storage_account_name=stordersstate\nsas_token=sv-2025-secret-sig\nkey=orders.${evil}.tfstate' };
    await terraform(env).init();
    const [{ args }] = calls;
    expect(args.join(' ')).not.toMatch(/stordersstate|sv-2025-secret-sig/);
    const file = path.join(work, 'backend.tfbackend');
    expect(args).toEqual([`-chdir=${path.join(work, 'stack')}`, 'init', '-input=false', '-no-color', `-backend-config=${file}`]);
    // Terraform would evaluate "${" inside a string: escaped to a literal.
    expect(fs.readFileSync(file, 'utf8')).toBe('storage_account_name = "stordersstate"\nsas_token = "sv-2025-secret-sig"\nkey = "orders.$${evil}.tfstate"\n');
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('passes no -backend-config at all when TF_BACKEND_CONFIG is empty', async () => {
    await terraform({}).init({ lockfileReadonly: true });
    expect(calls[0].args.slice(1)).toEqual(['init', '-input=false', '-no-color', '-lockfile=readonly']);
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('refuses a TF_BACKEND_CONFIG line that is not key=value, without quoting it', async () => {
    await expect(terraform({ TF_BACKEND_CONFIG: 'storage_account_name stordersstate' }).init()).rejects.toThrow(
      /^TF_BACKEND_CONFIG has a line that is not key=value \(keys are lower-case letters and _\)\. Fix: write lines such as storage_account_name=stexample$/,
    );
    expect(calls).toEqual([]);
  });

  it('names the document, and the position, when terraform show -json prints something that is not JSON', async () => {
    // Output of a wrapper that prints a banner, with a secret in it that must not be quoted back.
    stdout = 'Terraform wrapper v1 (token ghp_notquoted)\n{"format_version":"1.2"}';
    await expect(terraform({}).showJson(path.join(work, 'tfplan'))).rejects.toThrow(/^terraform show -json of the saved plan is not JSON \(at line 1, column 1\)\. Fix: /);
    await expect(terraform({}).showJson()).rejects.toThrow(/^terraform show -json of the state is not JSON/);
    await terraform({})
      .showJson()
      .catch((error: Error) => expect(error.message).not.toContain('ghp_notquoted'));
  });
});
