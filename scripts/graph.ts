/**
 * `npm run graph -- <env> [--json] [--strict]`: what a first `terraform apply` of a synthesized stack
 * will wait for. Prints (a) the dependency graph as a Mermaid flowchart, (b) the critical path with
 * estimated durations, and (c) anything that waits for a new API Management instance without needing
 * it. Reads cdktf.out/stacks/<env>/cdk.tf.json (or under CDKTF_OUTDIR, as synth writes it).
 *
 * Exit codes: 0 with the report; 1 when the stack cannot be read, or with --strict when (c) is not
 * empty (for CI); 2 for a usage error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { needlessApimWaits, NeedlessApimWait } from '../analysis/apim-waits';
import { criticalPath, CriticalPath, formatDuration } from '../analysis/critical-path';
import { buildDependencyGraph, TerraformJson } from '../analysis/dependency-graph';
import { toMermaidFlowchart } from '../analysis/mermaid';
import { printable } from '../text/printable';

export interface GraphReport {
  readonly stack: string;
  readonly file: string;
  readonly blocks: number;
  readonly dependencies: number;
  readonly mermaid: string;
  /** Durations in seconds. */
  readonly criticalPath: CriticalPath;
  readonly needlessApimWaits: readonly NeedlessApimWait[];
}

/** Everything the command prints, from a parsed cdk.tf.json. */
export function graphReport(stackName: string, file: string, stack: TerraformJson): GraphReport {
  const graph = buildDependencyGraph(stack);
  const critical = criticalPath(stack, graph);
  return {
    stack: stackName,
    file,
    blocks: graph.addresses.length,
    dependencies: [...graph.dependsOn.values()].reduce((n, deps) => n + deps.size, 0),
    mermaid: toMermaidFlowchart(stack, { highlight: critical.steps.map((s) => s.address) }, graph),
    criticalPath: critical,
    needlessApimWaits: needlessApimWaits(stack, graph),
  };
}

export function formatReport(report: GraphReport): string {
  const { steps, totalMin, totalMax } = report.criticalPath;
  const range = (min: number, max: number) => (min === max ? formatDuration(min) : `${formatDuration(min)} – ${formatDuration(max)}`);
  const width = Math.max(...steps.map((s) => s.address.length), 'total'.length);
  const rangeWidth = Math.max(...steps.map((s) => range(s.min, s.max).length));
  const waitLines = (keyVaultSide: boolean) => {
    const waits = report.needlessApimWaits.filter((w) => w.keyVaultSide === keyVaultSide);
    return waits.length ? waits.map((w) => `    ${w.address}\n      waits for ${w.apiManagement} through: ${w.via.join(' → ')}`) : ['    none'];
  };
  return [
    `Stack "${report.stack}" (${report.file}): ${report.blocks} resources and data sources, ${report.dependencies} dependencies`,
    '',
    '(a) Dependency graph, Mermaid (an arrow points from what is created first to what waits for it; critical path in red)',
    '',
    report.mermaid,
    '',
    '(b) Critical path: the longest chain by estimated duration (estimates and their sources: analysis/critical-path.ts)',
    '',
    ...steps.map((s) => `  ${s.address.padEnd(width)}  ${range(s.min, s.max).padEnd(rangeWidth)}  ${s.covers}`),
    `  ${'total'.padEnd(width)}  ${range(totalMin, totalMax)}`,
    '',
    "(c) Waiting for API Management's creation without needing it",
    '  Key Vault side (vault, certificates, deployer access and its wait):',
    ...waitLines(true),
    '  anything else:',
    ...waitLines(false),
  ].join('\n');
}

const USAGE = 'usage: npm run graph -- <environment> [--json] [--strict]';

export interface GraphCommandIo {
  /** Where stacks/<env>/cdk.tf.json are. */
  readonly outdir: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The command, minus process globals so tests can run it in-process. Returns the exit code. */
export function runGraphCommand(args: readonly string[], io: GraphCommandIo): number {
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = [...flags].filter((f) => !['--json', '--strict', '--help', '-h'].includes(f));
  if (flags.has('--help') || flags.has('-h')) {
    io.stdout(USAGE);
    return 0;
  }
  const stacksDir = path.join(io.outdir, 'stacks');
  const shown = displayPath(stacksDir);
  const present = fs.existsSync(stacksDir)
    ? fs.readdirSync(stacksDir).filter((s) => fs.existsSync(path.join(stacksDir, s, 'cdk.tf.json'))).sort()
    : [];
  if (unknown.length || names.length !== 1) {
    io.stderr(`${USAGE}${unknown.length ? ` (unknown option ${printable(unknown.join(", "))})` : ''}${present.length ? `; synthesized: ${present.join(', ')}` : ''}`);
    return 2;
  }
  const [name] = names;
  if (!present.length) {
    io.stderr(`error: no synthesized stacks in ${shown}/: run \`npm run synth\` first`);
    return 1;
  }
  if (!present.includes(name)) {
    io.stderr(`error: no stack "${printable(name)}" in ${shown}/ (there are: ${present.join(', ')}); run \`npm run synth\` if environments/${printable(name)}.ts is new`);
    return 1;
  }
  const file = path.join(stacksDir, name, 'cdk.tf.json');
  let report: GraphReport;
  try {
    report = graphReport(name, displayPath(file), JSON.parse(fs.readFileSync(file, 'utf8')) as TerraformJson);
  } catch (error) {
    io.stderr(`error: ${displayPath(file)}: ${(error as Error).message}`);
    return 1;
  }
  io.stdout(flags.has('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  if (flags.has('--strict') && report.needlessApimWaits.length) {
    io.stderr(`error: ${report.needlessApimWaits.length} block(s) wait for API Management's creation without needing it (--strict)`);
    return 1;
  }
  return 0;
}

/** Relative to where the user is, unless that climbs out of it (a CDKTF_OUTDIR elsewhere). */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return !relative ? '.' : relative.startsWith('..') ? file : relative;
}

if (require.main === module) {
  process.exitCode = runGraphCommand(process.argv.slice(2), {
    // As scripts/synth.js resolves it, so the two always agree on where the stacks are.
    outdir: path.resolve(__dirname, '..', process.env.CDKTF_OUTDIR ?? 'cdktf.out'),
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
  });
}
