import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface StepResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the step appended to $GITHUB_ENV, for the steps after it. */
  readonly githubEnv: Record<string, string>;
}

/**
 * Runs a GitHub Actions step's `run:` script the way the runner does (bash --noprofile --norc -eo
 * pipefail), with `${{ inputs.<name> }}` replaced by `inputs` and $GITHUB_ENV and $RUNNER_TEMP set up. Any
 * other expression left in the script fails the call: the test would otherwise run something else than
 * the runner would.
 */
export function runWorkflowStep(run: string, options: { cwd: string; env: Record<string, string>; inputs: Record<string, string> }): StepResult {
  const script = run.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => {
    if (!(name in options.inputs)) throw new Error(`the step uses input ${name}, which the test does not give`);
    return options.inputs[name];
  });
  if (script.includes('${{')) throw new Error(`the step holds an expression the test cannot evaluate: ${/\$\{\{.*?\}\}/.exec(script)?.[0]}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-step-'));
  try {
    const file = path.join(dir, 'step.sh');
    const githubEnv = path.join(dir, 'github-env');
    fs.writeFileSync(file, script);
    fs.writeFileSync(githubEnv, '');
    const runnerTemp = options.env.RUNNER_TEMP ?? path.join(dir, 'runner-temp');
    fs.mkdirSync(runnerTemp, { recursive: true });
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: options.cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, ...options.env },
    });
    const env = Object.fromEntries(
      fs
        .readFileSync(githubEnv, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, githubEnv: env };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
