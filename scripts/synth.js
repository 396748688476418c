#!/usr/bin/env node
// `npm run synth [-- <env>...]`: synthesizes the named environments (all when none is named) into
// cdktf.out/ without the cdktf CLI, which costs about two seconds more and adds nothing to a synth.
//
// The stacks are written to a fresh directory that replaces cdktf.out/ only when synthesis succeeded:
// a failed synth leaves the previous output as it was, never half of a new one, and a removed
// environment never lingers as a stale stack that a pipeline would apply.
'use strict';
process.env.CHECKPOINT_DISABLE ??= '1';
const fs = require('node:fs');
const path = require('node:path');
const { loadTypeScript, reportError } = require('./run');

const root = path.resolve(__dirname, '..');
// CDKTF_OUTDIR, as the cdktf CLI names it, lets tests and pipelines synthesize elsewhere.
const outdir = path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out');
// Beside the target, so the final rename stays on one filesystem and is atomic.
fs.mkdirSync(path.dirname(outdir), { recursive: true });
const staging = fs.mkdtempSync(path.join(path.dirname(outdir), '.cdktf.out-'));

try {
  const { synthesize } = loadTypeScript(path.join(root, 'main.ts'));
  synthesize(process.argv.slice(2), staging);
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.renameSync(staging, outdir);
  const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
  console.log(`synthesized ${stacks.length} stack(s) into ${path.relative(process.cwd(), outdir) || '.'}/stacks: ${stacks.join(', ')}`);
} catch (error) {
  fs.rmSync(staging, { recursive: true, force: true });
  reportError(error);
  process.exitCode = 1;
}
