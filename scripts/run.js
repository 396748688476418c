#!/usr/bin/env node
// Runs a TypeScript entry point (main.ts, scripts/*.ts) with no build step a user could forget:
// esbuild bundles the project's own sources in memory on every run (tens of milliseconds), keeps
// node_modules external, and the result is compiled straight into this process. Nothing is written
// to disk, so a stale build can never be synthesized. Type checking is `npm run typecheck`.
'use strict';
const path = require('node:path');
const Module = require('node:module');

/**
 * Loads `entry` as a module. With `asMain`, it also becomes require.main, so its
 * `if (require.main === module)` block runs, with `args` as its command-line arguments.
 */
function loadTypeScript(entry, { asMain = false, args = [] } = {}) {
  const file = path.resolve(entry);
  // Loaded here, not at the top: a caller that only needs this file's exports pays nothing for it.
  const esbuild = require('esbuild');
  const { outputFiles } = esbuild.buildSync({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
    logLevel: 'error',
  });
  // Stack traces then point at the .ts sources.
  process.setSourceMapsEnabled(true);
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  if (asMain) {
    process.argv = [process.argv[0], file, ...args];
    require.main = mod;
    process.mainModule = mod;
  }
  mod._compile(outputFiles[0].text, file);
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
