#!/usr/bin/env node
// Runs a TypeScript entry point (main.ts, scripts/*.ts) with no build step a user could forget:
// esbuild bundles the project's own sources (node_modules stay external) and the result is compiled
// straight into this process. The bundle is kept in node_modules/.cache and reused only while
//  - every file it was made from has the same SHA-256 as the bytes esbuild read: each candidate source
//    is hashed before the build and again after it, and a bundle whose inputs changed in between (an
//    editor saving during the build) is run once but never cached;
//  - the set of source files in the project is the same: a new file can change what an import resolves
//    to (value.tsx beside value.ts wins), though no bundled file changed.
// Bundling afresh takes about 80 ms, so a stale build can never be run. Type checking is `npm run typecheck`.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'run-ts');
// Files that change how esbuild reads the sources, though no source imports them.
const ALWAYS_HASHED = ['tsconfig.json', 'package-lock.json'];

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hashFile = (file) => sha256(fs.readFileSync(file));

// What esbuild can resolve an import to, and the folders that hold no project source.
const SOURCE_EXTENSIONS = /\.(tsx?|mts|cts|jsx?|mjs|cjs|json)$/;
const NOT_SOURCES = new Set(['node_modules', '.git', 'cdktf.out', 'coverage', '.build', '.gen']);

/** Every source file of the project (relative paths, sorted): what a build could possibly read. */
function sourceFiles(dir = root, prefix = '') {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCES.has(entry.name) || entry.name.startsWith('.cdktf.out')) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...sourceFiles(path.join(dir, entry.name), relative));
    else if (SOURCE_EXTENSIONS.test(entry.name)) files.push(relative);
  }
  return files.sort();
}

const treeHash = (files) => sha256(files.join('\n'));

/** The cached bundle of `file`, when the project's files and every input it was built from are unchanged. */
function cachedBundle(cacheFile, files) {
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.tree !== treeHash(files)) return undefined;
    const fresh = Object.entries(cached.inputs).every(([input, hash]) => hashFile(path.join(root, input)) === hash);
    return fresh ? cached.code : undefined;
  } catch {
    return undefined; // no cache yet, a deleted input, or a damaged cache file: bundle afresh
  }
}

/**
 * Bundles `file`. `cacheable` is false when a file the bundle was made from changed while esbuild ran:
 * its bytes before and after differ, so what esbuild read is unknown. `hooks.afterBuild` lets a test
 * play the editor who saves during the build.
 */
function bundle(file, sourceMaps, files, hooks = {}) {
  const before = new Map(files.map((f) => [f, hashFile(path.join(root, f))]));
  // Loaded here, not at the top: a run served from the cache never starts esbuild.
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [file],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: sourceMaps ? 'inline' : false,
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  hooks.afterBuild?.();
  const inputs = {};
  let cacheable = treeHash(sourceFiles()) === treeHash(files);
  for (const input of [...Object.keys(result.metafile.inputs), ...ALWAYS_HASHED.filter((f) => fs.existsSync(path.join(root, f)))]) {
    inputs[input] = hashFile(path.join(root, input));
    // An input outside the project tree (none today) has no "before": it cannot be vouched for.
    if (before.get(input) !== inputs[input]) cacheable = false;
  }
  return { code: result.outputFiles[0].text, inputs, cacheable };
}

/**
 * Loads `entry` as a module. With `asMain`, it also becomes require.main, so its
 * `if (require.main === module)` block runs, with `args` as its command-line arguments.
 */
function loadTypeScript(entry, { asMain = false, args = [], hooks } = {}) {
  const file = path.resolve(entry);
  // Source maps stay off unless asked for (SOURCE_MAPS=1): cdktf captures a full stack trace for every
  // token it creates, and with maps enabled each one is mapped back to the sources, which made synth
  // take about 40% longer (0.56-0.69 s against 0.82-0.97 s for the shipped stacks, 5 paired runs).
  const sourceMaps = process.env.SOURCE_MAPS === '1';
  const key = crypto.createHash('sha256').update(`${path.relative(root, file)}|${sourceMaps}|${require('esbuild/package.json').version}`).digest('hex').slice(0, 16);
  const cacheFile = path.join(cacheDir, `${key}.json`);
  const files = sourceFiles();
  let code = cachedBundle(cacheFile, files);
  if (code === undefined) {
    const built = bundle(file, sourceMaps, files, hooks);
    code = built.code;
    if (built.cacheable) try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written to a temporary name and renamed, so a concurrent run never reads half a cache file.
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify({ tree: treeHash(files), inputs: built.inputs, code }));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only node_modules only costs the next run a fresh bundle.
    }
  }
  if (sourceMaps) process.setSourceMapsEnabled(true);
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  if (asMain) {
    process.argv = [process.argv[0], file, ...args];
    require.main = mod;
    process.mainModule = mod;
  }
  mod._compile(code, file);
  return mod.exports;
}

/** Prints an error the way a user should see it: our own configuration errors as their lines, anything else in full. */
function reportError(error) {
  if (error && ['ConfigurationError', 'ConfigurationErrors', 'PolicyViolations', 'OutputError'].includes(error.name)) {
    console.error(`error: ${error.message.split('\n').join('\nerror: ')}`);
  } else {
    console.error(error);
  }
}

module.exports = { loadTypeScript, reportError };

if (require.main === module) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    console.error('usage: node scripts/run.js <entry.ts> [args...]');
    process.exit(2);
  }
  try {
    loadTypeScript(entry, { asMain: true, args });
  } catch (error) {
    reportError(error);
    process.exitCode = 1;
  }
}
