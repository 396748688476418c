#!/usr/bin/env node
// `npm run plan -- <env>` (cdktf diff) and `npm run deploy -- <env>` (cdktf deploy) from a workstation:
// for each certificate of the environment, the file path and password come from TF_VAR_... when set,
// otherwise from a prompt (the password prompt never echoes). The file is checked by the pre-flight
// before cdktf starts, so a wrong password fails here, not minutes into an apply.
'use strict';
process.env.CHECKPOINT_DISABLE ??= '1';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { loadTypeScript, reportError } = require('./run');

const root = path.resolve(__dirname, '..');
const [command, envName, ...rest] = process.argv.slice(2);

function ask(question, { secret = false } = {}) {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    if (secret) {
      // readline echoes what it reads through _writeToOutput; for a password only the prompt is written.
      rl._writeToOutput = (text) => {
        if (text.startsWith(question)) process.stdout.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (secret) process.stdout.write('\n');
      resolve(answer);
    });
  });
}

async function main() {
  if (!['diff', 'deploy'].includes(command) || !envName) {
    console.error('usage: npm run plan -- <env>   |   npm run deploy -- <env>');
    process.exitCode = 2;
    return;
  }
  const app = loadTypeScript(path.join(root, 'main.ts'));
  const [environment] = app.selectedEnvironments([envName]);
  const env = { ...process.env };
  for (const cert of environment.certificates) {
    const format = cert.format ?? 'pfx';
    const names = app.certificateVariableNames(cert.name, format);
    const pathVar = `TF_VAR_${names.path}`;
    const passwordVar = names.password && `TF_VAR_${names.password}`;
    // An empty path is no path; an empty password is a real one (a PFX may have none).
    const missing = [pathVar, ...(passwordVar ? [passwordVar] : [])].filter((v) => (v === pathVar ? !env[v] : env[v] === undefined));
    if (missing.length && !process.stdin.isTTY) {
      console.error(`error: certificate ${cert.name}: ${missing.join(' and ')} not set, and there is no terminal to ask on. Fix: export them first`);
      process.exitCode = 1;
      return;
    }
    if (!env[pathVar]) env[pathVar] = path.resolve(await ask(`${format.toUpperCase()} file for certificate ${cert.name}: `));
    if (passwordVar && env[passwordVar] === undefined) env[passwordVar] = await ask(`Password of ${path.basename(env[pathVar])}: `, { secret: true });
  }
  const { lines, failed } = await app.checkEnvironmentCertificates([environment], env);
  for (const line of lines) console.log(line);
  if (failed) {
    process.exitCode = 1;
    return;
  }
  const cdktf = path.join(root, 'node_modules', '.bin', 'cdktf');
  const result = spawnSync(cdktf, [command, envName, ...rest], { cwd: root, stdio: 'inherit', env });
  process.exitCode = result.status ?? 1;
}

main().catch((error) => {
  reportError(error);
  process.exitCode = 1;
});
