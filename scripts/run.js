#!/usr/bin/env node
// Runs a TypeScript entry point (main.ts, scripts/*.ts) without a build step the user could forget:
// esbuild bundles the project's own sources in memory on every run (tens of milliseconds), keeps
// node_modules external, and the result is compiled straight into this process. There is no build
// output on disk, so a stale build can never be synthesized. Type checking is `npm run typecheck`.
'use strict';
const path = require('node:path');
const Module = require('node:module');
const esbuild = require('esbuild');

const [entryArg, ...args] = process.argv.slice(2);
if (!entryArg) {
  console.error('usage: node scripts/run.js <entry.ts> [args...]');
  process.exit(2);
}
const entry = path.resolve(entryArg);

const { outputFiles } = esbuild.buildSync({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  write: false,
  logLevel: 'error',
});

// Stack traces point at the .ts sources.
process.setSourceMapsEnabled(true);
process.argv = [process.argv[0], entry, ...args];
const mod = new Module(entry, module);
mod.filename = entry;
mod.paths = Module._nodeModulePaths(path.dirname(entry));
require.main = mod;
mod._compile(outputFiles[0].text, entry);
