import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compilePipeline } from './azure-template';
import { PROJECT_ROOT } from './run-command';

/** Every secret a piece of a workflow reads, by name, sorted: each `secrets.<NAME>` in any expression. */
export function secretsReadBy(node: unknown): string[] {
  const text = JSON.stringify(node);
  return [...new Set([...text.matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))].sort();
}

/**
 * A step's `env:` as the runner would give it, with each `${{ secrets.X }}` / `${{ vars.X }}` /
 * `${{ inputs.X }}` replaced by the given value (or "", as GitHub gives a secret the environment lacks,
 * and every input on a run that is not a workflow_dispatch). Any other expression fails.
 */
export function stepEnvironment(
  env: Record<string, string> | undefined,
  context: { secrets?: Record<string, string>; vars?: Record<string, string>; inputs?: Record<string, string | boolean> },
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env ?? {}).map(([name, value]) => [
      name,
      String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
        const m = /^(secrets|vars|inputs)\.([\w-]+)$/.exec(expression);
        if (!m) throw new Error(`the step's env holds an expression the test cannot evaluate: ${expression}`);
        return String(context[m[1] as 'secrets' | 'vars' | 'inputs']?.[m[2]] ?? '');
      }),
    ]),
  );
}

/** action-validator's verdict on a workflow's text: exit status and what it printed. */
export function actionValidator(text: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-'));
  try {
    const file = path.join(dir, 'deploy.yml');
    fs.writeFileSync(file, text);
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/action-validator'), [file], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why an Azure DevOps run was started (Build.Reason): a push to main, a person, or the schedule. */
export type BuildReason = 'IndividualCI' | 'Manual' | 'Schedule';

/**
 * A generated azure-pipelines.yml compiled as Azure DevOps would for a run started for `buildReason`,
 * against the project's templates: the text is written where the real one lives relative to
 * pipelines/templates/ (a link to the project's). The pipeline's compile-time comparisons of Build.Reason
 * (`${{ eq(variables['Build.Reason'], 'Schedule') }}`, and ne) are settled first, as Azure DevOps settles
 * them when it compiles a run; any other use of a variable at compile time fails the call.
 */
export function compileGeneratedPipeline(text: string, buildReason: BuildReason = 'IndividualCI'): any {
  const settled = text.replace(/\$\{\{\s*(eq|ne)\(variables\['Build\.Reason'\],\s*'(\w+)'\)\s*\}\}/g, (_, op: string, value: string) =>
    String((op === 'eq') === (value.toLowerCase() === buildReason.toLowerCase())),
  );
  if (/variables\[/.test(settled)) throw new Error(`the pipeline reads a variable at compile time that the test does not settle: ${/.*variables\[.*/.exec(settled)?.[0].trim()}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generated-pipeline-'));
  try {
    fs.symlinkSync(path.join(PROJECT_ROOT, 'pipelines/templates'), path.join(dir, 'templates'));
    const file = path.join(dir, 'azure-pipelines.yml');
    fs.writeFileSync(file, settled);
    return compilePipeline(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
