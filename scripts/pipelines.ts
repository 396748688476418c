/**
 * `npm run pipelines [-- --check]`: writes the Azure DevOps pipeline (pipelines/azure-pipelines.yml) and
 * the GitHub Actions workflow (.github/workflows/deploy.yml) from the environment files: promotion order,
 * secure files, variable groups, service connections, GitHub environments and secret names, by the
 * conventions of pipelines/generator/conventions.ts and each environment's overrides. The files are
 * committed; `npm test` fails while they are stale.
 *
 * --check writes nothing: exit 0 when the committed files are what this command would write, else 1,
 * listing the stale files and the command that fixes them. Exit 2: a usage error. A problem in an
 * environment file (checked as synth checks it, then its pipeline settings): exit 1, each problem on one
 * line with its file and field.
 */
import path from 'node:path';
import { loadEnvironments } from '../config/load-environments';
import { environments } from '../environments';
import { generatePipelines, GENERATE_COMMAND, staleFiles, staleReport, writeGeneratedFiles, type EnvironmentFile, type PipelineSettings } from '../pipelines/generator';
import settings from '../pipelines/settings';
import { printable } from '../text/printable';

const USAGE = `usage: ${GENERATE_COMMAND} [-- --check]`;

export interface PipelinesCommandIo {
  readonly root: string;
  readonly environments: readonly EnvironmentFile[];
  readonly settings?: PipelineSettings;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export function runPipelinesCommand(args: readonly string[], io: PipelinesCommandIo): number {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    io.stderr(`${USAGE} (unknown argument ${printable(unknown.join(', '))})`);
    return 2;
  }
  // The whole environment checked, as synth checks it (a misspelled `pipline:` would otherwise mean the
  // conventions, silently); then the pipeline settings, by generatePipelines.
  loadEnvironments(io.environments);
  const { files: generated, skipped } = generatePipelines(io.environments, io.settings ?? settings);
  for (const line of skipped) io.stdout(`left out of the pipelines: ${printable(line)} hold placeholder ids; replace them with your own, then ${GENERATE_COMMAND}`);
  if (args.includes('--check')) {
    const stale = staleFiles(io.root, generated);
    if (stale.length) {
      io.stderr(`error: ${staleReport(stale).split('\n').join('\nerror: ')}`);
      return 1;
    }
    io.stdout(`${generated.size} generated pipeline files are up to date: ${[...generated.keys()].join(', ')}`);
    return 0;
  }
  const changed = writeGeneratedFiles(io.root, generated);
  for (const file of generated.keys()) {
    const change = changed.find((c) => c.path === file);
    io.stdout(`${change ? 'wrote    ' : 'unchanged'} ${file}`);
  }
  for (const removed of changed.filter((c) => c.reason === 'no longer generated')) io.stdout(`removed   ${removed.path} (no longer generated)`);
  return 0;
}

if (require.main === module) {
  process.exitCode = runPipelinesCommand(process.argv.slice(2), {
    root: path.resolve(__dirname, '..'),
    environments,
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
  });
}
