#!/usr/bin/env node
// `npm run bench [-- --rounds N] [--only synth,floor] [--json]`: wall time and peak memory of the commands
// a developer waits for, each run as a child process, interleaved (A B C … A B C …) after one warm-up
// round, so that a machine getting busier or quieter shifts every command alike instead of one.
//
//   synth      node scripts/synth.js: npm run synth of the shipped environments, into a temp dir
//   floor      node -e 'require("cdktf")': the least any synth can cost
//   baseline   the same stacks as a `cdktf init` project builds them: `cdktf synth` running
//              `npx ts-node main.ts` (type-checking), provider classes from the package root (barrel)
//   scale      30 generated environments × 10 certificates, synthesized the fast way (scripts/run.js)
//   scale-raw  a plain cdktf app writing the same resources as `scale` (provider classes, deep imports, the
//              attribute values as literals): what cdktf alone costs for them, without this project's
//              validation, rules and manifests
//   typecheck  tsc -p tsconfig.json, warm: the incremental build info exists after the warm-up round
//   jest       the whole jest suite (--ci: never writes snapshots)
//
// Peak RSS is /usr/bin/time's %M where it exists: the largest single process of the command's tree
// (cdktf and its ts-node child are not added up). Without it, each Node process of the tree reports its
// own maximum through a --require hook, and the largest counts. Not part of `npm test`.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

// The targets docs/performance.md sets, on medians; `npm test` ≤ 60 s is timed separately.
const TARGETS = [
  { what: 'synth ≤ 2× floor', needs: ['synth', 'floor'], value: (m) => m.synth.wall / m.floor.wall, ok: (v) => v <= 2, show: (v) => `${v.toFixed(2)}×` },
  { what: 'baseline / synth ≥ 15×', needs: ['baseline', 'synth'], value: (m) => m.baseline.wall / m.synth.wall, ok: (v) => v >= 15, show: (v) => `${v.toFixed(1)}×` },
  { what: 'synth peak RSS ≤ 120 MB', needs: ['synth'], value: (m) => m.synth.rss, ok: (v) => v <= 120, show: (v) => `${v.toFixed(0)} MB` },
  { what: '30×10 synth ≤ 1.25× the same resources from a plain cdktf app', needs: ['scale', 'scale-raw'], value: (m) => m.scale.wall / m['scale-raw'].wall, ok: (v) => v <= 1.25, show: (v) => `${v.toFixed(2)}×` },
  { what: 'jest ≤ 30 s', needs: ['jest'], value: (m) => m.jest.wall, ok: (v) => v <= 30, show: (v) => `${v.toFixed(2)} s` },
];

function parseArgs(argv) {
  const options = { rounds: 5, only: undefined, json: false, rss: fs.existsSync('/usr/bin/time') ? 'time' : 'node' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--only') options.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg === '--json') options.json = true;
    // For checking the fallback on a machine that has /usr/bin/time.
    else if (arg === '--rss') options.rss = value();
    else fail(`unknown argument ${arg}\nusage: npm run bench -- [--rounds N] [--only ${CASES.map((c) => c.id).join(',')}] [--json] [--rss time|node]`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) fail('--rounds must be a whole number of at least 1');
  if (!['time', 'node'].includes(options.rss)) fail('--rss must be "time" or "node"');
  const unknown = (options.only ?? []).filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length) fail(`unknown case ${unknown.join(', ')} (there are: ${CASES.map((c) => c.id).join(', ')})`);
  return options;
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

// Each case: `prepare(work)` builds what it needs once (not measured) and returns how to run it.
const CASES = [
  {
    id: 'synth',
    label: 'npm run synth (node scripts/synth.js)',
    prepare: (work) => ({ command: process.execPath, args: [path.join(root, 'scripts', 'synth.js')], cwd: root, env: { CDKTF_OUTDIR: path.join(work, 'synth-out') } }),
  },
  {
    id: 'floor',
    label: `node -e 'require("cdktf")'`,
    prepare: () => ({ command: process.execPath, args: ['-e', 'require("cdktf")'], cwd: root }),
  },
  {
    id: 'baseline',
    label: 'cdktf synth, npx ts-node, barrel imports',
    prepare: prepareBaseline,
    verify: verifyBaseline,
  },
  {
    id: 'scale',
    label: 'synth 30 environments × 10 certificates',
    prepare: prepareScale,
    verify: verifyScale,
  },
  {
    id: 'scale-raw',
    label: 'the same 30 × 10 from a plain cdktf app',
    prepare: prepareScaleRaw,
    verify: verifyScaleRaw,
  },
  {
    id: 'typecheck',
    label: 'tsc -p tsconfig.json (warm, incremental)',
    prepare: () => ({ command: bin('tsc'), args: ['-p', 'tsconfig.json'], cwd: root }),
  },
  {
    id: 'jest',
    label: 'jest --ci (whole suite)',
    prepare: () => ({ command: bin('jest'), args: ['--ci'], cwd: root }),
  },
];

// ---- baseline: the project as a `cdktf init` TypeScript project would run it ----

const PROVIDER_NAMESPACES = { '@cdktf/provider-azurerm': 'azurerm', '@cdktf/provider-time': 'time' };
const DEEP_IMPORT = /^import (type )?\{([^}]+)\} from '(@cdktf\/provider-[a-z0-9-]+)\/lib\/([a-z0-9-]+)';$/gm;

function prepareBaseline(work) {
  const dir = path.join(work, 'baseline');
  fs.mkdirSync(dir);
  const sources = sourcesOf('main.ts');
  for (const source of sources) {
    fs.mkdirSync(path.dirname(path.join(dir, source)), { recursive: true });
    const text = fs.readFileSync(path.join(root, source), 'utf8');
    fs.writeFileSync(path.join(dir, source), source.endsWith('.ts') ? toBarrelImports(text, source) : text);
  }

  const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
  // ts-node compiles in memory: the project's type-check-only settings do not apply, jest's types are not needed.
  const { noEmit, incremental, tsBuildInfoFile, ...options } = compilerOptions;
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...options, types: ['node'] }, include: sources.filter((f) => f.endsWith('.ts')) }, null, 2));
  fs.writeFileSync(path.join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'npx ts-node main.ts', projectId: 'bench-baseline', sendCrashReports: 'false', terraformProviders: [], terraformModules: [], context: {} }, null, 2));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { command: bin('cdktf'), args: ['synth'], cwd: dir, outdir: path.join(dir, 'cdktf.out') };
}

/**
 * `import { KeyVault as AzurermKeyVault } from '@cdktf/provider-azurerm/lib/key-vault'` becomes
 * `import AzurermKeyVault = azurerm.keyVault.KeyVault` under one `import * as azurerm from '@cdktf/provider-azurerm'`.
 * An import alias keeps both the value and the type, so the rest of the file is untouched. The
 * namespace names are read from the package's own index (jsii's camelCase is not always the obvious one).
 */
function toBarrelImports(text, file) {
  const used = new Set();
  const rewritten = text.replace(DEEP_IMPORT, (_line, _type, specifiers, pkg, module) => {
    const namespace = PROVIDER_NAMESPACES[pkg];
    const exported = barrelNamespaces(pkg).get(module);
    if (!namespace || !exported) throw new Error(`baseline: no barrel name for ${pkg}/lib/${module} (in ${file})`);
    used.add(pkg);
    return specifiers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [name, alias = name] = s.split(/\s+as\s+/);
        return `import ${alias} = ${namespace}.${exported}.${name};`;
      })
      .join('\n');
  });
  if (/@cdktf\/provider-[a-z0-9-]+\/lib\//.test(rewritten)) throw new Error(`baseline: a provider deep import in ${file} is not in the one-line form this rewrite knows`);
  const header = [...used].map((pkg) => `import * as ${PROVIDER_NAMESPACES[pkg]} from '${pkg}';\n`).join('');
  return header + rewritten;
}

/** `entry` and every project file it imports, directly or not (paths relative to the project root). */
function sourcesOf(entry) {
  const found = new Set();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop();
    if (found.has(file)) continue;
    found.add(file);
    if (!file.endsWith('.ts')) continue;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import|require\()\s*'(\.{1,2}\/[^']*)'/g)) {
      const base = path.join(path.dirname(file), specifier);
      const resolved = [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => fs.existsSync(path.join(root, f)) && fs.statSync(path.join(root, f)).isFile());
      if (!resolved) throw new Error(`baseline: cannot find ${specifier}, imported by ${file}`);
      pending.push(resolved);
    }
  }
  return [...found].sort();
}

const barrelCache = new Map();
function barrelNamespaces(pkg) {
  if (!barrelCache.has(pkg)) {
    const index = fs.readFileSync(path.join(root, 'node_modules', pkg, 'lib', 'index.d.ts'), 'utf8');
    barrelCache.set(pkg, new Map([...index.matchAll(/^export \* as (\w+) from '\.\/([^']+)';$/gm)].map((m) => [m[2], m[1]])));
  }
  return barrelCache.get(pkg);
}

/** The baseline must build the very stacks the fast synth builds, or the ratio means nothing. */
function verifyBaseline(run, work) {
  const reference = path.join(work, 'reference-out');
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js')], { cwd: root, env: { ...benchEnv(), CDKTF_OUTDIR: reference }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`baseline check: npm run synth failed:\n${result.stderr}`);
  const expected = stackContents(reference);
  const actual = stackContents(run.outdir);
  const describe = (stacks) => [...stacks].map(([name, s]) => `${name}: ${s.addresses.length}`).join(', ') || 'none';
  const same = expected.size === actual.size && [...expected].every(([name, s]) => actual.get(name)?.addresses.join('\n') === s.addresses.join('\n'));
  if (!same) throw new Error(`baseline check: cdktf synth built other stacks than npm run synth (resources and data sources per stack: baseline ${describe(actual)}; synth ${describe(expected)})`);
  const identical = [...expected].every(([name, s]) => actual.get(name).json === s.json);
  return `same ${expected.size} stack(s) and resources as npm run synth (${describe(expected)})${identical ? ', byte-identical JSON' : ''}`;
}

function stackContents(outdir) {
  const stacksDir = path.join(outdir, 'stacks');
  const stacks = new Map();
  for (const name of fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : []) {
    const json = fs.readFileSync(path.join(stacksDir, name, 'cdk.tf.json'), 'utf8');
    const tf = JSON.parse(json);
    const addresses = [
      ...Object.entries(tf.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)),
      ...Object.entries(tf.data ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `data.${type}.${n}`)),
    ].sort();
    stacks.set(name, { json, addresses });
  }
  return stacks;
}

// ---- scale: many environments and certificates through the fast path ----

const SCALE_ENVIRONMENTS = 30;
const SCALE_CERTIFICATES = 10;

function prepareScale(work) {
  const dir = path.join(work, 'scale');
  if (fs.existsSync(dir)) return { command: process.execPath, args: [path.join(root, 'scripts', 'run.js'), path.join(dir, 'scale.ts'), path.join(dir, 'out')], cwd: root, outdir: path.join(dir, 'out') };
  fs.mkdirSync(dir);
  // The entry lives outside the project; cdktf and the providers resolve through this link.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const from = (file) => JSON.stringify(path.join(root, file));
  fs.writeFileSync(
    path.join(dir, 'scale.ts'),
    `// Generated by scripts/bench.js: ${SCALE_ENVIRONMENTS} environments × ${SCALE_CERTIFICATES} certificates, validated and
// synthesized as main.ts does it (stacks, deployment manifests, the security rules).
import type { EnvironmentConfig } from ${from('config/environment-config')};
import { loadEnvironments } from ${from('config/load-environments')};
import { synthesize } from ${from('config/synthesize')};

const two = (n: number) => String(n).padStart(2, '0');
const environment = (i: number): EnvironmentConfig => ({
  name: \`scale-\${two(i)}\`,
  location: 'westeurope',
  resourceGroup: { name: \`rg-scale-\${two(i)}\` },
  keyVault: { name: \`kv-scale-\${two(i)}\` },
  apiManagement: { name: \`apim-scale-\${two(i)}\`, publisherName: 'Scale Test', publisherEmail: 'scale@example.com' },
  deployers: [{ objectId: \`00000000-0000-0000-0000-0000000000\${two(i)}\`, type: 'ServicePrincipal', description: 'pipeline' }],
  certificates: Array.from({ length: ${SCALE_CERTIFICATES} }, (_, c) => ({
    name: \`cert-\${two(c + 1)}\`,
    backend: { url: \`https://backend-\${two(c + 1)}.example.com/api\` },
  })),
});

const sources = Array.from({ length: ${SCALE_ENVIRONMENTS} }, (_, i) => environment(i + 1)).map((config) => ({ file: \`environments/\${config.name}.ts\`, config }));
synthesize(loadEnvironments(sources), sources, process.argv[2]);
`,
  );
  const outdir = path.join(dir, 'out');
  return { command: process.execPath, args: [path.join(root, 'scripts', 'run.js'), path.join(dir, 'scale.ts'), outdir], cwd: root, outdir };
}

function verifyScale(run) {
  const stacks = stackContents(run.outdir);
  const certificates = [...stacks.values()].map((s) => s.addresses.filter((a) => a.startsWith('azurerm_key_vault_certificate.')).length);
  if (stacks.size !== SCALE_ENVIRONMENTS || certificates.some((n) => n !== SCALE_CERTIFICATES)) {
    throw new Error(`scale check: expected ${SCALE_ENVIRONMENTS} stacks of ${SCALE_CERTIFICATES} certificates, got ${stacks.size} stacks with ${certificates.join(', ')}`);
  }
  const blocks = [...stacks.values()].reduce((n, s) => n + s.addresses.length, 0);
  return `${stacks.size} stacks, ${blocks} resources and data sources`;
}

// ---- scale-raw: the same resources, written by a plain cdktf app ----

// Where each resource type's class is: its module is the type without the provider prefix, hyphenated.
const PROVIDER_PACKAGES = { azurerm: '@cdktf/provider-azurerm', time: '@cdktf/provider-time' };
// Attributes that are maps: their keys are data, kept as they are (every other key becomes camelCase).
const MAP_ATTRIBUTES = new Set(['tags', 'triggers']);
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (name) => camel(name).replace(/^./, (c) => c.toUpperCase());

function classOf(kind, type) {
  const [provider, ...rest] = type.split('_');
  const module = kind === 'data' ? `data-${type.replace(/_/g, '-')}` : rest.join('-');
  const from = `${PROVIDER_PACKAGES[provider]}/lib/${module}`;
  // The class that declares this type (jsii renames some: ApiManagementCertificateA).
  const name = Object.entries(require(path.join(root, 'node_modules', from))).find(([, v]) => typeof v === 'function' && v.tfResourceType === type)?.[0];
  if (!name) throw new Error(`scale-raw: no class for ${type} in ${from}`);
  return { name: `${pascal(type)}${kind === 'data' ? 'Data' : ''}`, imported: name, from };
}

/** A synthesized block's attributes as a provider class's config: camelCase keys, maps and meta-arguments aside. */
function toConfig(value, key) {
  if (Array.isArray(value)) return value.map((v) => toConfig(v));
  if (!value || typeof value !== 'object') return value;
  if (MAP_ATTRIBUTES.has(key)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//' && k !== 'depends_on').map(([k, v]) => [camel(k), toConfig(v, k)]));
}

function prepareScaleRaw(work) {
  // What the raw app must write: the scale case's output, made once here.
  const scale = prepareScale(work);
  const reference = path.join(work, 'scale-reference');
  const made = spawnSync(scale.command, [...scale.args.slice(0, -1), reference], { cwd: scale.cwd, env: benchEnv(), encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`scale-raw: the scale synth failed: ${made.stderr}`);
  const dir = path.join(work, 'scale-raw');
  fs.mkdirSync(dir);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const classes = new Map();
  const stacks = [];
  for (const name of fs.readdirSync(path.join(reference, 'stacks')).sort()) {
    const tf = JSON.parse(fs.readFileSync(path.join(reference, 'stacks', name, 'cdk.tf.json'), 'utf8'));
    const blocks = [];
    for (const kind of ['data', 'resource']) {
      for (const [type, byName] of Object.entries(tf[kind] ?? {})) {
        const cls = classOf(kind, type);
        classes.set(cls.name, cls);
        for (const [id, attributes] of Object.entries(byName)) blocks.push({ cls: cls.name, id, config: toConfig(attributes), dependsOn: attributes.depends_on ?? [] });
      }
    }
    const providers = Object.entries(tf.provider ?? {}).map(([provider, [config]]) => {
      const cls = { name: `${pascal(provider)}Provider`, imported: `${pascal(provider)}Provider`, from: `${PROVIDER_PACKAGES[provider]}/lib/provider` };
      classes.set(cls.name, cls);
      return { cls: cls.name, config: toConfig(config) };
    });
    stacks.push({
      name,
      providers,
      backend: Object.entries(tf.terraform?.backend ?? {}).map(([kind, config]) => ({ kind, config: toConfig(config) }))[0],
      variables: Object.entries(tf.variable ?? {}).map(([id, v]) => ({ id, config: toConfig(v) })),
      outputs: Object.entries(tf.output ?? {}).map(([id, v]) => ({ id, config: toConfig(v) })),
      blocks,
    });
  }
  const imports = [...classes.values()].map((c) => `import { ${c.imported} as ${c.name} } from '${c.from}';`).join('\n');
  fs.writeFileSync(path.join(dir, 'stacks.json'), JSON.stringify(stacks));
  fs.writeFileSync(
    path.join(dir, 'raw.ts'),
    `// Generated by scripts/bench.js: the resources of the scale case, written by a plain cdktf app.
import { App, AzurermBackend, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable, type TerraformResource } from 'cdktf';
${imports}
import stacks from './stacks.json';

const classes: Record<string, new (scope: TerraformStack, id: string, config: any) => TerraformResource> = { ${[...classes.keys()].join(', ')} } as any;
const app = new App({ outdir: process.argv[2] });
for (const s of stacks as any[]) {
  const stack = new TerraformStack(app, s.name);
  for (const p of s.providers) new (classes[p.cls] as any)(stack, p.cls, p.config);
  if (s.backend?.kind === 'azurerm') new AzurermBackend(stack, s.backend.config);
  if (s.backend?.kind === 'local') new LocalBackend(stack, s.backend.config);
  for (const v of s.variables) new TerraformVariable(stack, v.id, v.config);
  const made = new Map<string, TerraformResource>();
  for (const b of s.blocks) made.set(b.id, new classes[b.cls](stack, b.id, b.config));
  for (const b of s.blocks) if (b.dependsOn.length) made.get(b.id)!.dependsOn = b.dependsOn;
  for (const o of s.outputs) new TerraformOutput(stack, o.id, o.config);
}
app.synth();
`,
  );
  const outdir = path.join(dir, 'out');
  return { command: process.execPath, args: [path.join(root, 'scripts', 'run.js'), path.join(dir, 'raw.ts'), outdir], cwd: root, outdir, reference };
}

/** The raw app wrote the same blocks, with the same values, as the scale synth (cdktf's "//" metadata aside). */
function verifyScaleRaw(run) {
  const strip = (value) =>
    Array.isArray(value) ? value.map(strip) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//').map(([k, v]) => [k, strip(v)]).sort(([a], [b]) => a.localeCompare(b))) : value;
  const raw = stackContents(run.outdir);
  const reference = stackContents(run.reference);
  for (const [name, { json }] of reference) {
    const want = strip(JSON.parse(json));
    const got = raw.has(name) ? strip(JSON.parse(raw.get(name).json)) : undefined;
    for (const block of ['resource', 'data', 'provider', 'terraform', 'variable', 'output']) {
      if (JSON.stringify(got?.[block]) !== JSON.stringify(want[block])) throw new Error(`scale-raw check: stack ${name}: its ${block} blocks differ from the scale synth's: ${JSON.stringify(got?.[block]).slice(0, 400)} against ${JSON.stringify(want[block]).slice(0, 400)}`);
    }
  }
  if (raw.size !== reference.size) throw new Error(`scale-raw check: ${raw.size} stacks, the scale synth wrote ${reference.size}`);
  return `the same ${raw.size} stacks as scale, block for block`;
}

// ---- measuring ----

function benchEnv() {
  return {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    DISABLE_VERSION_CHECK: '1',
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
    npm_config_update_notifier: 'false',
    FORCE_COLOR: '0',
  };
}

const RSS_HOOK = `process.on('exit', () => require('node:fs').appendFileSync(process.env.BENCH_RSS_FILE, process.resourceUsage().maxRSS + '\\n'));\n`;

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

let interrupted = false;

/** One run: wall time in seconds, peak RSS in MB, exit status and an excerpt of its output. */
async function measure(run, work, rssMethod) {
  const rssFile = path.join(work, 'rss.txt');
  fs.rmSync(rssFile, { force: true });
  const env = { ...benchEnv(), ...run.env };
  let command = run.command;
  let args = run.args;
  if (rssMethod === 'time') {
    [command, args] = ['/usr/bin/time', ['-f', '%M', '-o', rssFile, run.command, ...run.args]];
  } else {
    const hook = path.join(work, 'rss-hook.js');
    if (!fs.existsSync(hook)) fs.writeFileSync(hook, RSS_HOOK);
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require ${hook}`.trim();
    env.BENCH_RSS_FILE = rssFile;
  }
  const started = process.hrtime.bigint();
  // Asynchronous, so that a Ctrl-C reaches the SIGINT listener while the child runs.
  const result = await new Promise((resolve) => {
    const child = spawn(command, args, { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = { stdout: [], stderr: [] };
    child.stdout.on('data', (c) => chunks.stdout.push(c));
    child.stderr.on('data', (c) => chunks.stderr.push(c));
    child.on('error', (error) => resolve({ error, stdout: '', stderr: '' }));
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() }));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (interrupted) throw new Interrupted();
  // GNU time writes "Command exited with non-zero status N" before %M when the command fails.
  const kilobytes = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number) : [];
  const rss = kilobytes.length ? Math.max(...kilobytes) / 1024 : NaN;
  const status = result.error ? String(result.error.code ?? result.error) : result.status;
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n');
  // A TypeScript error is at the start, a jest summary at the end.
  const excerpt = output.length > 30 ? [...output.slice(0, 15), '…', ...output.slice(-15)] : output;
  return { wall, rss, status, output: excerpt.join('\n') };
}

/** The command as a reader would type it: paths relative to the project, the temp dir as <tmp>. */
function displayCommand(run, work) {
  const shorten = (a) => {
    if (a === process.execPath) return 'node';
    if (a.startsWith(work)) return `<tmp>${a.slice(work.length)}`;
    const shown = a.startsWith(root + path.sep) ? path.relative(root, a) : a;
    return /^[\w@%+=:,./<>-]+$/.test(shown) ? shown : `'${shown}'`;
  };
  const env = Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${shorten(v)} `);
  const where = run.cwd === root ? '' : ` (in ${shorten(run.cwd)})`;
  return `${env.join('')}${[run.command, ...run.args].map(shorten).join(' ')}${where}`;
}

const median = (values) => {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const cases = CASES.filter((c) => !options.only || options.only.includes(c.id));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'apimcert-bench-'));
  const cleanUp = () => fs.rmSync(work, { recursive: true, force: true });
  // Ctrl-C reaches the running child too; once it has ended, the bench stops and still removes its temp
  // dir, which Node's default (exit at once) would leave behind.
  process.on('SIGINT', () => {
    interrupted = true;
  });
  const log = (text) => console.error(text);
  try {
    const runs = new Map(cases.map((c) => [c.id, c.prepare(work)]));
    const samples = new Map(cases.map((c) => [c.id, []]));
    const checks = {};
    for (let round = 0; round <= options.rounds; round++) {
      const name = round === 0 ? 'warm-up' : `round ${round}/${options.rounds}`;
      const line = [];
      for (const c of cases) {
        const sample = await measure(runs.get(c.id), work, options.rss);
        if (sample.status !== 0) log(`warning: ${c.id} exited with ${sample.status} (${name}):\n${sample.output}`);
        if (round === 0 && c.verify) {
          if (sample.status !== 0) throw new Error(`${c.id} failed in the warm-up round, so there is nothing to compare`);
          checks[c.id] = c.verify(runs.get(c.id), work);
          log(`${c.id}: ${checks[c.id]}`);
        }
        if (round > 0) samples.get(c.id).push(sample);
        line.push(`${c.id} ${sample.wall.toFixed(2)}s ${sample.rss.toFixed(0)}MB`);
      }
      log(`${name}: ${line.join(', ')}`);
    }

    const results = cases.map((c) => {
      const s = samples.get(c.id);
      const walls = s.map((x) => x.wall);
      return {
        id: c.id,
        label: c.label,
        command: displayCommand(runs.get(c.id), work),
        wall: { median: median(walls), min: Math.min(...walls), max: Math.max(...walls), samples: walls },
        peakRssMb: { median: median(s.map((x) => x.rss)), samples: s.map((x) => x.rss) },
        failedRuns: s.filter((x) => x.status !== 0).length,
        check: checks[c.id],
      };
    });
    const medians = Object.fromEntries(results.map((r) => [r.id, { wall: r.wall.median, rss: r.peakRssMb.median }]));
    const targets = TARGETS.filter((t) => t.needs.every((id) => medians[id])).map((t) => {
      const value = t.value(medians);
      return { target: t.what, value: Number(value.toFixed(3)), shown: t.show(value), met: t.ok(value) };
    });
    const report = {
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}` },
      rounds: options.rounds,
      warmUpRounds: 1,
      peakRss: options.rss === 'time' ? '/usr/bin/time -f %M: largest single process of the tree' : 'Node --require hook: largest Node process of the tree',
      results,
      targets,
    };
    console.log(options.json ? JSON.stringify(report, null, 2) : formatTable(report));
    process.exitCode = results.some((r) => r.failedRuns) ? 1 : 0;
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exitCode = error instanceof Interrupted ? 130 : 1;
  } finally {
    cleanUp();
  }
}

function formatTable(report) {
  const seconds = (v) => `${v.toFixed(2)} s`;
  const rows = report.results.map((r) => [
    r.id,
    r.label,
    seconds(r.wall.median),
    `${r.wall.min.toFixed(2)}–${r.wall.max.toFixed(2)} s`,
    Number.isNaN(r.peakRssMb.median) ? '?' : `${r.peakRssMb.median.toFixed(0)} MB`,
    r.failedRuns ? `${r.failedRuns} run(s) failed` : '',
  ]);
  const header = ['case', 'what', 'median', 'min–max', 'peak RSS', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i >= 2 && i <= 4 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
  const ratio = (a, b) => (byId[a] && byId[b] ? `${(byId[a].wall.median / byId[b].wall.median).toFixed(2)}×` : 'n/a');
  return [
    `npm run bench: ${report.rounds} round(s) after ${report.warmUpRounds} warm-up, interleaved; ${report.machine.cores} cores, Node ${report.machine.node}; ${report.date}`,
    `peak RSS: ${report.peakRss}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `synth / floor:    ${ratio('synth', 'floor')}`,
    `baseline / synth: ${ratio('baseline', 'synth')}`,
    ...Object.values(byId).filter((r) => r.check).map((r) => `${r.id} check: ${r.check}`),
    '',
    'targets:',
    ...report.targets.map((t) => `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.shown}`),
  ].join('\n');
}

main();
