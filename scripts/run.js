#!/usr/bin/env node
// Runs a TypeScript entry point (main.ts, scripts/*.ts) with no build step a user could forget:
// esbuild bundles the project's own sources (node_modules stay external) and the result is compiled
// straight into this process. The bundle is kept in node_modules/.cache with the SHA-256 of every
// source file it was made from; a run reuses it only when every one of those files still has the same
// content, and bundles afresh otherwise (about 80 ms), so a stale build can never be run.
// Type checking is `npm run typecheck`.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'run-ts');
// Files that change how esbuild reads the sources, though no source imports them.
const ALWAYS_HASHED = ['tsconfig.json', 'package-lock.json'];

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The cached bundle of `file`, when every input it was built from is unchanged. */
function cachedBundle(cacheFile) {
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    const fresh = Object.entries(cached.inputs).every(([input, hash]) => sha256(path.join(root, input)) === hash);
    return fresh ? cached.code : undefined;
  } catch {
    return undefined; // no cache yet, a deleted input, or a damaged cache file: bundle afresh
  }
}

function bundle(file, sourceMaps) {
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
  const inputs = Object.fromEntries(
    [...Object.keys(result.metafile.inputs), ...ALWAYS_HASHED.filter((f) => fs.existsSync(path.join(root, f)))].map((input) => [input, sha256(path.join(root, input))]),
  );
  return { code: result.outputFiles[0].text, inputs };
}

/**
 * Loads `entry` as a module. With `asMain`, it also becomes require.main, so its
 * `if (require.main === module)` block runs, with `args` as its command-line arguments.
 */
function loadTypeScript(entry, { asMain = false, args = [] } = {}) {
  const file = path.resolve(entry);
  // Source maps stay off unless asked for (SOURCE_MAPS=1): cdktf captures a full stack trace for every
  // token it creates, and with maps enabled each one is mapped back to the sources, which made synth
  // take about 40% longer (0.56-0.69 s against 0.82-0.97 s for the shipped stacks, 5 paired runs).
  const sourceMaps = process.env.SOURCE_MAPS === '1';
  const key = crypto.createHash('sha256').update(`${path.relative(root, file)}|${sourceMaps}|${require('esbuild/package.json').version}`).digest('hex').slice(0, 16);
  const cacheFile = path.join(cacheDir, `${key}.json`);
  let code = cachedBundle(cacheFile);
  if (code === undefined) {
    const built = bundle(file, sourceMaps);
    code = built.code;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written to a temporary name and renamed, so a concurrent run never reads half a cache file.
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify({ inputs: built.inputs, code }));
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
  if (error && ['ConfigurationError', 'ConfigurationErrors', 'PolicyViolations'].includes(error.name)) {
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
