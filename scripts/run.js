#!/usr/bin/env node
// Runs a TypeScript entry point (main.ts, scripts/*.ts) with no build step a user could forget:
// esbuild bundles the project's own sources (node_modules stay external) and the result is compiled
// straight into this process. The bundle is kept in node_modules/.cache and reused only while
//  - every file it was made from has the same SHA-256 as the bytes esbuild read: each candidate source
//    is hashed before the build and again after it, and a bundle whose inputs changed in between (an
//    editor saving during the build) is run once but never cached;
//  - every directory a bundled file comes from holds the same source files: a new file there can change
//    what an import resolves to (value.tsx beside value.ts wins), though no bundled file changed; files
//    written elsewhere (tests' scratch directories) do not matter.
// Bundling afresh takes about 80 ms, so a stale build can never be run. Type checking is `npm run typecheck`.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { printable } = require('../text/printable');

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

/**
 * What each directory holding a bundled file contains (its source files and sub-directories), from a
 * list of sourceFiles(): a new file there can change what an import resolves to (value.tsx beside
 * value.ts, a glob require over environments/); a file anywhere else cannot, so tests writing scratch
 * files elsewhere in the tree do not make every bundle uncacheable.
 */
function listing(files, dirs) {
  const children = new Map(dirs.map((d) => [d, new Set()]));
  for (const file of files) {
    for (const [dir, names] of children) {
      const prefix = dir === '.' ? '' : `${dir}/`;
      if (file.startsWith(prefix)) names.add(file.slice(prefix.length).split('/')[0]);
    }
  }
  return sha256(JSON.stringify([...children].map(([dir, names]) => [dir, [...names].sort()])));
}

/** The cached bundle of `file`, when the project's files and every input it was built from are unchanged. */
function cachedBundle(cacheFile, files) {
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.listing !== listing(files, cached.dirs)) return undefined;
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
    logLevel: 'silent', // reportError prints each problem as one line
  });
  hooks.afterBuild?.();
  const inputs = {};
  let cacheable = true;
  for (const input of [...Object.keys(result.metafile.inputs), ...ALWAYS_HASHED.filter((f) => fs.existsSync(path.join(root, f)))]) {
    inputs[input] = hashFile(path.join(root, input));
    // An input outside the project tree (none today) has no "before": it cannot be vouched for.
    if (before.get(input) !== inputs[input]) cacheable = false;
  }
  const dirs = [...new Set(Object.keys(result.metafile.inputs).map((input) => path.dirname(input)))].sort();
  const listed = listing(files, dirs);
  if (listed !== listing(sourceFiles(), dirs)) cacheable = false;
  return { code: result.outputFiles[0].text, inputs, dirs, listing: listed, cacheable };
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
      fs.writeFileSync(tmp, JSON.stringify({ dirs: built.dirs, listing: built.listing, inputs: built.inputs, code }));
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
  try {
    mod._compile(code, file);
  } catch (error) {
    if (error && typeof error === 'object' && !error.projectLocation) error.projectLocation = projectLocation(error, file);
    throw error;
  }
  return mod.exports;
}

// What a system error means for whoever ran the command, and what to do about it.
const SYSTEM_ERRORS = {
  ENOSPC: ['the disk is full', 'free some space, or point CDKTF_OUTDIR / TMPDIR at a disk with room'],
  EDQUOT: ['the disk quota is used up', 'free some space, or point CDKTF_OUTDIR / TMPDIR at a disk with room'],
  EROFS: ['the file system is read-only', 'run from a writable checkout, or point CDKTF_OUTDIR at a writable directory'],
  EACCES: ['permission denied', 'check the owner and mode of that path (ls -ld), or run from a directory you own'],
  EPERM: ['the operation is not permitted', 'check the owner and mode of that path (ls -ld), or run from a directory you own'],
  ENOTDIR: ['a part of the path is a file, not a directory', 'check the path, e.g. CDKTF_OUTDIR'],
};

/**
 * Prints an error the way a user should see it, as one line: our own configuration errors as their
 * lines, a system error as what failed, where, and the fix, anything else as its message and where in
 * the project it was thrown. APIMCERT_DEBUG=1 adds the full stack trace.
 */
function reportError(error) {
  const debug = process.env.APIMCERT_DEBUG === '1';
  // Every line through printable(): a message may quote a value from an environment file or a path.
  const console = { error: (text) => process.stderr.write(`${String(text).split('\n').map(printable).join('\n')}\n`) };
  if (error && ['ConfigurationError', 'ConfigurationErrors', 'PolicyViolations', 'OutputError'].includes(error.name)) {
    console.error(`error: ${error.message.split('\n').join('\nerror: ')}`);
  } else if (Array.isArray(error?.errors) && error.errors.length && error.errors[0].text !== undefined) {
    // esbuild's: a source that does not compile, one line per problem with its file and line.
    for (const { text, location } of error.errors) {
      const at = location ? `${location.file}:${location.line}:${location.column + 1}: ` : '';
      console.error(`error: ${at}${text}. Fix: correct the TypeScript there (npm run typecheck shows every problem)`);
    }
  } else if (error && SYSTEM_ERRORS[error.code]) {
    const [what, fix] = SYSTEM_ERRORS[error.code];
    const where = [error.syscall, error.path, error.dest && `-> ${error.dest}`].filter(Boolean).join(' ');
    console.error(`error: ${what} (${where || error.code}). Fix: ${fix}${debug ? '' : ' (APIMCERT_DEBUG=1 shows the stack trace)'}`);
  } else {
    const where = error?.projectLocation ? ` (at ${error.projectLocation})` : '';
    const message = String(error?.message ?? error).split('\n')[0];
    console.error(`error: ${message}${where}${debug ? '' : '. APIMCERT_DEBUG=1 shows the stack trace'}`);
  }
  if (debug && error?.stack) process.stderr.write(`${error.stack}\n`);
}

/**
 * Where in the project's own sources a bundled module threw: "environments/dev.ts:12:9". The bundle runs
 * without source maps (they slow synth down), so on an error it is bundled once more with them and the
 * first frame in the bundle is mapped back through that map; the code is the same, only the map is added.
 */
function projectLocation(error, file) {
  const frame = String(error?.stack ?? '').split('\n').find((line) => line.includes(`${file}:`));
  const match = frame && /:(\d+):(\d+)\)?$/.exec(frame);
  if (!match) return undefined;
  try {
    const text = require('esbuild').buildSync({
      entryPoints: [file], absWorkingDir: root, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
      packages: 'external', sourcemap: 'external', outfile: path.join(root, 'bundle.js'), write: false, logLevel: 'silent',
    }).outputFiles.find((f) => f.path.endsWith('.map')).text;
    const entry = new Module.SourceMap(JSON.parse(text)).findEntry(Number(match[1]) - 1, Number(match[2]) - 1);
    if (!entry.originalSource) return undefined;
    return `${path.relative(root, path.resolve(root, entry.originalSource))}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  } catch {
    return undefined;
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
