#!/usr/bin/env node
// `npm test`: the type check, the jest suite, then Terraform's own validation of every synthesized stack
// (the shipped environments and __tests__/terraform/variants.ts) with the *.tftest.hcl tests of
// __tests__/terraform/<stack>/, against the real provider schemas, offline (../shared/tf-offline).
//
// Where ../shared/tf-offline or terraform is missing (a user's machine, a hosted pipeline agent) that
// last step is skipped and says so. REQUIRE_TERRAFORM_VALIDATION=1 (set by .ci/run) makes a missing
// validator fail the run instead, so where it must run it can never be skipped silently.
// Ends with one line, "summary: N passed, N failed", counting jest tests, stacks validated and
// Terraform test runs.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const validator = path.resolve(root, process.env.TF_OFFLINE_VALIDATE ?? '../shared/tf-offline/validate.sh');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'apimcert-test-'));
const counts = { passed: 0, failed: 0 };

function run(label, command, args, options = {}) {
  console.log(`\n== ${label}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, CHECKPOINT_DISABLE: '1', ...options.env } });
  console.log(`== ${label}: ${result.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

function finish() {
  fs.rmSync(work, { recursive: true, force: true });
  for (const [tool, count] of skippedFor) {
    console.log(`skipped: ${count} test(s) need ${tool}, which is missing here (CI has it; REQUIRE_TEST_TOOLS=1 makes a missing tool fail instead)`);
  }
  console.log(`\nsummary: ${counts.passed} passed, ${counts.failed} failed`);
  process.exitCode = counts.failed ? 1 : 0;
}

// 1. Types, once for the whole project (jest's transform does not check them).
const typecheck = run('type check (tsc)', bin('tsc'), ['-p', 'tsconfig.json']);
counts[typecheck.status === 0 ? 'passed' : 'failed'] += 1;

// 2. Jest; its JSON report gives the counts. The suites that drive real clients against the Azure emulator
// (the az CLI, Terraform with the azurerm provider: seconds per call) are a stage of their own, so that
// each stage's time says what it is; with arguments (a pattern, --watch), one jest run takes them as given.
// What a suite skipped because a tool is missing (support/required-tools.ts names it in the title) is said
// once per tool: on a user's machine or a hosted agent that is expected, and the run still passes.
const EMULATOR_SUITES = '__tests__/(azure-emulator|[a-z-]+-on-emulator)\\.test\\.ts$';
const skippedFor = new Map();
function runJest(label, args) {
  const report = path.join(work, `jest-${label.replace(/\W+/g, '-')}.json`);
  const result = run(label, bin('jest'), ['--json', `--outputFile=${report}`, ...args]);
  let failed = 0;
  if (fs.existsSync(report)) {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    counts.passed += json.numPassedTests;
    failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
    for (const suite of json.testResults ?? []) {
      for (const test of suite.assertionResults ?? []) {
        if (test.status !== 'pending') continue;
        const reason = /\(skipped: (.+?) is missing\)/.exec([...(test.ancestorTitles ?? []), test.title].join(' '))?.[1] ?? 'a test marked to skip';
        skippedFor.set(reason, (skippedFor.get(reason) ?? 0) + 1);
      }
    }
  }
  // No report, or a failing exit with nothing counted as failed: still a failure.
  counts.failed += result.status !== 0 && failed === 0 ? 1 : failed;
}
const given = process.argv.slice(2);
if (given.length) runJest('jest', given);
else {
  runJest('jest', ['--testPathIgnorePatterns', EMULATOR_SUITES]);
  runJest('jest: real clients against the Azure emulator', ['--passWithNoTests', EMULATOR_SUITES]);
}

// 3. Terraform validate (+ terraform test) of every stack.
const hasTerraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
if (!fs.existsSync(validator) || !hasTerraform) {
  const missing = !fs.existsSync(validator) ? `${path.relative(root, validator)} is not there` : 'terraform is not on PATH';
  if (process.env.REQUIRE_TERRAFORM_VALIDATION === '1') {
    console.log(`\n== terraform validate: FAILED: ${missing}, and REQUIRE_TERRAFORM_VALIDATION=1 says every stack must be validated`);
    counts.failed += 1;
  } else {
    console.log(`\n== terraform validate: SKIPPED: ${missing} (CI runs it; see docs/toolchain.md, "Checking against Terraform")`);
  }
  finish();
  return;
}

const shipped = path.join(work, 'shipped');
const variants = path.join(work, 'variants');
const synth = run('synth (shipped environments)', process.execPath, ['scripts/synth.js'], { env: { CDKTF_OUTDIR: shipped } });
const synthVariants = run('synth (variants)', process.execPath, ['scripts/run.js', '__tests__/terraform/synth-variants.ts', variants]);
for (const r of [synth, synthVariants]) counts[r.status === 0 ? 'passed' : 'failed'] += 1;
const stackDirs = [shipped, variants].flatMap((out) => {
  const stacks = path.join(out, 'stacks');
  return fs.existsSync(stacks) ? fs.readdirSync(stacks).sort().map((s) => path.join(stacks, s)) : [];
});
for (const dir of stackDirs) {
  const tests = path.join(root, '__tests__', 'terraform', path.basename(dir));
  if (fs.existsSync(tests)) {
    fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
    for (const f of fs.readdirSync(tests).filter((f) => f.endsWith('.tftest.hcl'))) fs.copyFileSync(path.join(tests, f), path.join(dir, 'tests', f));
  }
}
// Two validate.sh runs side by side: much of each directory's time is Terraform's init and the stand-in
// providers' start-up, which overlap well on 2 cores (five stacks, validate only: 10.6-12.4 s against
// 14.2-14.6 s for one run, two tries each). The output is printed per half, in order.
const halves = [stackDirs.filter((_, i) => i % 2 === 0), stackDirs.filter((_, i) => i % 2 === 1)].filter((h) => h.length);
console.log('\n== terraform validate + test (tf-offline)');
const started = Date.now();
Promise.all(
  halves.map(
    (dirs) =>
      new Promise((resolve) => {
        const child = spawn(validator, dirs, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('close', (status) => resolve({ status, out }));
      }),
  ),
).then((results) => {
  for (const { status, out } of results) {
    process.stdout.write(out);
    counts.passed += (out.match(/^ {3}validate: OK/gm) ?? []).length;
    counts.failed += (out.match(/^ {3}(validate|init): (?!OK)/gm) ?? []).length;
    for (const m of out.matchAll(/test: (?:OK|FAILED).*?(\d+) passed, (\d+) failed/g)) {
      counts.passed += Number(m[1]);
      counts.failed += Number(m[2]);
    }
    if (status !== 0 && !/(validate|init|test): (?!OK)/.test(out)) counts.failed += 1;
  }
  const ok = results.every((r) => r.status === 0);
  console.log(`== terraform validate + test (tf-offline): ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  finish();
});
