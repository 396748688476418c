import { printable } from '../text/printable';

/**
 * Where an operational step reports. Every line is passed through printable() whole, so a value from
 * state, a certificate, an address lookup or a file path can never end its line, reorder what a reader
 * sees or start an Azure DevOps (`##vso[`) or GitHub (`::`) logging command. Warnings and errors become
 * the pipeline's own annotations, whose prefix is added after the escaping.
 */
export interface StepLog {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** A pipeline logging command this project composed itself (never from a value from outside), unescaped. */
  command(line: string): void;
}

export type PipelineHost = 'azure-devops' | 'github' | 'none';

/** Which pipeline runs this process, by the variables each sets on its agents. */
export function pipelineHost(env: NodeJS.ProcessEnv): PipelineHost {
  if (env.TF_BUILD === 'True' || env.TF_BUILD === 'true') return 'azure-devops';
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  return 'none';
}

export function consoleLog(env: NodeJS.ProcessEnv = process.env, write: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
}): StepLog {
  const host = pipelineHost(env);
  const annotated = (kind: 'warning' | 'error', line: string) => {
    const text = printable(line);
    if (host === 'azure-devops') return `##vso[task.logissue type=${kind}]${text}\n`;
    if (host === 'github') return `::${kind}::${text}\n`;
    return `${kind}: ${text}\n`;
  };
  return {
    info: (line) => write.out(`${printable(line)}\n`),
    warn: (line) => write.err(annotated('warning', line)),
    error: (line) => write.err(annotated('error', line)),
    command: (line) => write.out(`${line}\n`),
  };
}

/** A log that keeps its lines, for tests and for steps whose output is folded into another's. */
export function memoryLog(): StepLog & { readonly lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    info: (line) => lines.push(printable(line)),
    warn: (line) => lines.push(`warning: ${printable(line)}`),
    error: (line) => lines.push(`error: ${printable(line)}`),
    command: (line) => lines.push(`command: ${line}`),
    text: () => lines.join('\n'),
  };
}
