import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processRunner, type CommandRunner } from '../../operations/command-runner';

/**
 * The real Azure CLI the emulator tests drive: APIMCERT_AZ, else the copy .ci/azure-cli.sh installs
 * (azure-cli 2.91.0 from the Python package index, in a private virtual environment). The venv's `az`
 * script only re-executes its Python with `-m azure.cli`; its first line names the interpreter of the venv
 * it was built in, so when that is gone the venv's own python3 runs the same module.
 */
export function resolveAzCli(): { command: string; prefix: string[] } | undefined {
  const candidate = process.env.APIMCERT_AZ || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'apimcert-azure-cli/2.91.0/venv/bin/az');
  if (!fs.existsSync(candidate)) return undefined;
  const shebang = /^#!\s*(\S+)/.exec(fs.readFileSync(candidate, 'utf8').split('\n')[0])?.[1];
  if (!shebang || fs.existsSync(shebang)) return { command: candidate, prefix: [] };
  const python = path.join(path.dirname(candidate), 'python3');
  return fs.existsSync(python) ? { command: python, prefix: ['-m', 'azure.cli'] } : undefined;
}

export const AZ_CLI_MISSING = 'the Azure CLI (set APIMCERT_AZ, or run .ci/azure-cli.sh to install az 2.91.0)';

/** A runner for the operational steps that starts the real az (asynchronously: the emulator answers from this process). */
export function azCliRunner(cli: { command: string; prefix: string[] }): CommandRunner {
  const run = processRunner(cli.command);
  return (args, options) => run([...cli.prefix, ...args], { ...options, env: { ...options?.env, AZ_INSTALLER: 'PIP' } });
}
