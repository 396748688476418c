#!/usr/bin/env node
// `npm run toolchain -- [cdktf|cdktn]`: which CDK the project's node_modules holds (no argument: says which).
//
// The sources import `cdktf` and `@cdktf/provider-*` only. cdktf (the default) is the root package.json
// and package-lock.json, installed by a plain `npm ci`. CDK Terrain is toolchains/cdktn/package.json and
// its lock file, which install cdktn under those same names (an npm alias for the azurerm bindings; a
// link node_modules/cdktf -> cdktn, so `cdktf` and `cdktn` are ONE copy of the library).
//
// `cdktn`: installs toolchains/cdktn/node_modules (npm ci, skipped while its lock file is unchanged),
// parks a real ./node_modules as toolchains/cdktf/node_modules, and makes ./node_modules a link to it.
// `cdktf`: removes the link and brings the parked directory back (or says to run npm ci).
// Everything else (npm test, npm run synth, tsc, jest, node_modules/.bin) then resolves through
// ./node_modules as usual: nothing else needs to know which toolchain is in place.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const link = path.join(root, 'node_modules');
// Inside a folder named node_modules, which scripts/run.js's source walk, tsc and jest all skip.
const parked = path.join(root, 'toolchains', 'cdktf', 'node_modules');
const TOOLCHAINS = ['cdktf', 'cdktn'];

function current() {
  let stat;
  try {
    stat = fs.lstatSync(link);
  } catch {
    return undefined;
  }
  if (!stat.isSymbolicLink()) return 'cdktf';
  return path.basename(path.dirname(fs.readlinkSync(link)));
}

function install(name) {
  const dir = path.join(root, 'toolchains', name);
  const lockHash = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'package-lock.json'))).digest('hex');
  const stamp = path.join(dir, 'node_modules', '.toolchain-lock-sha256');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === lockHash) return;
  console.log(`installing toolchains/${name} (npm ci)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ci in toolchains/${name} failed`);
  fs.writeFileSync(stamp, lockHash);
}

function use(name) {
  const was = current();
  if (name === 'cdktf') {
    if (was === 'cdktf') return;
    if (was) fs.unlinkSync(link);
    if (fs.existsSync(parked)) fs.renameSync(parked, link);
    else console.log('no parked cdktf install: run `npm ci`');
    return;
  }
  install(name);
  const target = path.join('toolchains', name, 'node_modules');
  if (was === 'cdktf') {
    fs.rmSync(parked, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(parked), { recursive: true });
    fs.renameSync(link, parked);
  }
  // A new link renamed over the old one: node_modules is never missing, even for a moment.
  const temp = `${link}.link-${process.pid}`;
  fs.symlinkSync(target, temp, 'dir');
  fs.renameSync(temp, link);
}

const wanted = process.argv[2];
if (wanted === undefined) {
  console.log(current() ?? 'none (run npm ci)');
} else if (!TOOLCHAINS.includes(wanted)) {
  console.error(`error: unknown toolchain "${wanted}" (one of: ${TOOLCHAINS.join(', ')})`);
  process.exitCode = 2;
} else {
  use(wanted);
  const manifest = path.join(root, 'node_modules', 'cdktf', 'package.json');
  if (fs.existsSync(manifest)) {
    const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    console.log(`node_modules: ${wanted} (${name} ${version} as "cdktf")`);
  }
}
