#!/usr/bin/env node
// `npm run synth [-- [--check-certs] <env>...]`: synthesizes the named environments (all when none is
// named) into cdktf.out/ without the cdktf CLI, which costs about two seconds more and adds nothing here.
//
// --check-certs (or CHECK_CERTS=1): first opens every certificate file named by TF_VAR_<cert>_<format>_path
// and fails, before anything is written, on any problem `npm run cert:check` would report.
//
// The stacks are written to a fresh directory that becomes cdktf.out/ in one atomic step, and only when
// synthesis succeeded (scripts/output-directory.js): a failed or killed synth leaves the previous output
// as it was, never half of a new one, and a removed environment never lingers as a stale stack that a
// pipeline would apply. Two synths at once take turns.
'use strict';
process.env.CHECKPOINT_DISABLE ??= '1';
const fs = require('node:fs');
const path = require('node:path');
const { replaceOutput } = require('./output-directory');
const { loadTypeScript, reportError } = require('./run');
const { printable } = require('../text/printable');

const root = path.resolve(__dirname, '..');
// CDKTF_OUTDIR, as the cdktf CLI names it, lets tests and pipelines synthesize elsewhere.
const outdir = path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out');
const args = process.argv.slice(2);
const checkCerts = args.includes('--check-certs') || process.env.CHECK_CERTS === '1';
const names = args.filter((a) => a !== '--check-certs');

async function main() {
  const { synthesize, selectedEnvironments, checkEnvironmentCertificates } = loadTypeScript(path.join(root, 'main.ts'));
  const environments = selectedEnvironments(names);
  if (checkCerts) {
    const { lines, failed } = await checkEnvironmentCertificates(environments);
    for (const line of lines) console.log(printable(line));
    if (failed) {
      console.error('error: certificate pre-flight failed; nothing was synthesized');
      process.exitCode = 1;
      return;
    }
  }
  await replaceOutput(outdir, (staging) => {
    // Warnings quote suppression reasons and other configuration text: printed so they cannot start a
    // pipeline logging command.
    for (const line of synthesize(environments, staging)) console.error(`warning: ${printable(line)}`);
  });
  const stacksDir = path.join(outdir, 'stacks');
  const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
  if (!stacks.length) {
    console.log('synthesized no stack: environments/ holds no environment yet (README, "Adding an environment")');
    return;
  }
  console.log(`synthesized ${stacks.length} stack(s) into ${path.relative(process.cwd(), outdir) || '.'}/stacks: ${stacks.join(', ')}`);
}

main().catch((error) => {
  reportError(error);
  process.exitCode = 1;
});
