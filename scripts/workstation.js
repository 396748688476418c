#!/usr/bin/env node
// `npm run plan -- <env> [--allow-my-ip]` (terraform plan) and `npm run deploy -- <env> [--allow-my-ip]`
// (terraform apply, which asks before changing anything) from a workstation, on the stack `npm run synth`
// writes, as the pipelines do:
// - for each certificate, the file (and a PFX's password) come from the environment when set, otherwise
//   from a prompt (the password prompt never echoes): TF_VAR_<stem>_pfx_path / _pfx_password for a PFX,
//   PEM_FILE_<stem> for a PEM bundle;
// - every file is checked by the pre-flight before Terraform starts, so a wrong password fails here, not
//   minutes into an apply;
// - a PEM bundle is converted to a PFX with a one-time password (APIM reads only PKCS#12 from Key Vault),
//   in a private temporary directory that is removed when this command ends, however it ends;
// - the resource providers the stack needs are checked to be registered (the stack registers none);
// - with --allow-my-ip, this machine's public address is let through the vault's firewall for the length
//   of the command and removed afterwards (pipelines/scripts/vault-network.sh, as the pipelines do);
// - before the plan, the rotation table (npm run cert:rotation) from the stack's state: new, unchanged,
//   or rotating old → new; a certificate that expires sooner is refused unless --allow-earlier-expiry;
// - after a deploy, APIM refreshes each certificate from Key Vault and is verified to serve it
//   (pipelines/scripts/apim-refresh.sh).
'use strict';
process.env.CHECKPOINT_DISABLE ??= '1';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { loadTypeScript, reportError } = require('./run');

const root = path.resolve(__dirname, '..');
const scripts = path.join(root, 'pipelines', 'scripts');
const [command, envName, ...options] = process.argv.slice(2);
const allowMyIp = options.includes('--allow-my-ip');
const allowEarlierExpiry = options.includes('--allow-earlier-expiry');
// Anything else goes to terraform plan / apply (e.g. -target=..., -auto-approve).
const extraArgs = options.filter((o) => o !== '--allow-my-ip' && o !== '--allow-earlier-expiry');

/** The person at the prompt gave up: Ctrl-C (exit 130) or Ctrl-D (exit 1), and nothing may run after. */
function abandoned(how, exitCode) {
  return Object.assign(new Error(`no answer at the prompt (${how}); nothing was run`), { forUser: true, exitCode });
}

function ask(question, { secret = false } = {}) {
  return secret ? askSecret(question) : askLine(question);
}

function askLine(question) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    let answered = false;
    rl.on('SIGINT', () => {
      rl.close();
      reject(abandoned('Ctrl-C', 130));
    });
    rl.on('close', () => {
      if (!answered) reject(abandoned('Ctrl-D', 1));
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

/**
 * Reads a password in raw mode and writes nothing but the prompt and the final newline: readline
 * redraws its line on every editing key, and the cursor codes it writes give the password's length away.
 */
function askSecret(question) {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    let typed = '';
    let escape = false;
    const finish = (settle) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stdout.write('\n');
      settle();
    };
    const onData = (chunk) => {
      for (const char of chunk.toString('utf8')) {
        if (escape) {
          // An escape sequence (arrow keys, Home, Delete...) ends with a letter or "~": ignored whole.
          if (/[A-Za-z~]/.test(char)) escape = false;
          continue;
        }
        if (char === '\r' || char === '\n') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(abandoned('Ctrl-C', 130)));
        if (char === '\u0004') return finish(() => reject(abandoned('Ctrl-D', 1)));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char === '\u001b') escape = true;
        else if (char >= ' ') typed += char;
      }
    };
    // Raw (no echo) before the prompt appears: whatever is typed after it must never be echoed.
    input.setRawMode(true);
    process.stdout.write(question);
    input.resume();
    input.on('data', onData);
  });
}

// Everything this command leaves behind is undone here: the converted PFX files and the firewall rule.
const cleanups = [];
function cleanUp() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch (error) {
      console.error(`warning: clean-up failed: ${error.message}`);
    }
  }
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

function privateDirectory() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apimcert-'));
  fs.chmodSync(dir, 0o700);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function bash(script, args, env) {
  return spawnSync('bash', [path.join(scripts, script), ...args], { cwd: root, stdio: 'inherit', env });
}

/** A mistake of the caller's: printed as one "error:" line, without a stack trace. */
function problem(message) {
  return Object.assign(new Error(message), { forUser: true });
}

const hasAz = () => spawnSync('az', ['version'], { stdio: 'ignore' }).status === 0;

async function collectFiles(app, environment, env) {
  for (const cert of environment.certificates) {
    const { file: fileVar, password: passwordVar } = app.certificateSourceVariables(cert.name, cert.format);
    // An empty path is no path; an empty password is a real one (a PFX may have none).
    const missing = [fileVar, ...(passwordVar ? [passwordVar] : [])].filter((v) => (v === fileVar ? !env[v] : env[v] === undefined));
    if (missing.length && !process.stdin.isTTY) {
      throw problem(`certificate ${cert.name}: ${missing.join(' and ')} not set, and there is no terminal to ask on. Fix: export them first`);
    }
    const kind = cert.format === 'pem' ? 'PEM' : 'PFX';
    if (!env[fileVar]) env[fileVar] = path.resolve(await ask(`${kind} file for certificate ${cert.name}: `));
    if (passwordVar && env[passwordVar] === undefined) env[passwordVar] = await ask(`Password of ${path.basename(env[fileVar])}: `, { secret: true });
  }
}

/** Each PEM source becomes a PFX with a one-time password; Terraform only ever sees the PFX. */
function convertPemSources(app, environment, env) {
  const pems = environment.certificates.filter((c) => c.format === 'pem');
  if (!pems.length) return;
  const dir = privateDirectory();
  for (const cert of pems) {
    const names = app.certificateVariableNames(cert.name);
    const password = crypto.randomBytes(32).toString('base64');
    const pfx = path.join(dir, `${names.path}.pfx`);
    const result = bash('pem-to-pfx.sh', [env[app.pemSourceVariableName(cert.name)], pfx], { ...process.env, PFX_PASSWORD: password });
    if (result.status !== 0) throw problem(`certificate ${cert.name}: the PEM bundle could not be converted to a PFX (see above)`);
    env[`TF_VAR_${names.path}`] = pfx;
    env[`TF_VAR_${names.password}`] = password;
  }
}

async function main() {
  if (!['diff', 'deploy'].includes(command) || !envName) {
    console.error('usage: npm run plan -- <env> [--allow-my-ip] [--allow-earlier-expiry]   |   npm run deploy -- <env> [--allow-my-ip] [--allow-earlier-expiry]');
    process.exitCode = 2;
    return;
  }
  const app = loadTypeScript(path.join(root, 'main.ts'));
  const [environment] = app.selectedEnvironments([envName]);
  const env = { ...process.env };
  await collectFiles(app, environment, env);
  const { lines, failed } = await app.checkEnvironmentCertificates([environment], env);
  for (const line of lines) console.log(line);
  if (failed) {
    process.exitCode = 1;
    return;
  }
  convertPemSources(app, environment, env);

  // The same synthesized stack a pipeline applies (all environments, so cdktf.out stays whole), then
  // Terraform itself: the cdktf CLI needs node-pty, which has no build for Node 24.
  const outdir = path.resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out');
  if (spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js')], { cwd: root, stdio: 'inherit', env }).status !== 0) {
    process.exitCode = 1;
    return;
  }
  const stackDir = path.join(outdir, 'stacks', environment.name);
  if (hasAz()) {
    if (bash('check-resource-providers.sh', [stackDir], env).status !== 0) {
      process.exitCode = 1;
      return;
    }
  } else {
    console.log('note: az is not on PATH: the resource providers this stack needs were not checked (docs/constructs.md, "Resource providers")');
  }
  if (allowMyIp) {
    if (bash('vault-network.sh', ['open', stackDir], env).status !== 0) {
      process.exitCode = 1;
      return;
    }
    cleanups.push(() => bash('vault-network.sh', ['close', stackDir], env));
  }

  const terraform = process.env.TERRAFORM || 'terraform';
  // Outside cdktf.out, which every synth replaces: providers and backend settings survive, so only the
  // first init of an environment downloads anything.
  const tfEnv = { ...env, TF_DATA_DIR: env.TF_DATA_DIR ?? path.join(root, '.terraform-data', environment.name) };
  const run = (args) => spawnSync(terraform, [`-chdir=${stackDir}`, ...args], { cwd: root, stdio: 'inherit', env: tfEnv });
  const init = run(['init', '-input=false']);
  if (init.error?.code === 'ENOENT') throw problem(`${terraform} is not on PATH. Fix: install Terraform 1.11 (docs/deploying.md), or set TERRAFORM to its path`);
  if (init.status !== 0) {
    process.exitCode = init.status ?? 1;
    return;
  }
  // What each certificate file does to what Key Vault holds, before Terraform's own plan (which only
  // says "contents (sensitive) changed"); an earlier expiry stops here unless --allow-earlier-expiry.
  const stateDir = privateDirectory();
  const stateFile = path.join(stateDir, 'state.json');
  const show = spawnSync(terraform, [`-chdir=${stackDir}`, 'show', '-json'], { cwd: root, env: tfEnv, stdio: ['ignore', fs.openSync(stateFile, 'w', 0o600), 'inherit'] });
  if (show.status !== 0) {
    process.exitCode = show.status ?? 1;
    return;
  }
  const rotation = spawnSync(
    process.execPath,
    [path.join(root, 'scripts', 'run.js'), path.join(root, 'scripts', 'cert-rotation.ts'), environment.name, '--state-json', stateFile, ...(allowEarlierExpiry ? ['--allow-earlier-expiry'] : [])],
    { cwd: root, stdio: 'inherit', env },
  );
  if (rotation.status !== 0) {
    process.exitCode = rotation.status ?? 1;
    return;
  }
  // deploy: Terraform shows the plan and asks before it changes anything, as cdktf deploy did.
  const result = run([command === 'diff' ? 'plan' : 'apply', '-input=true', ...extraArgs]);
  process.exitCode = result.status ?? 1;
  if (command === 'deploy' && result.status === 0) {
    // APIM serves the new version now, verified, instead of within four hours (pipelines/scripts/apim-refresh.sh).
    if (!hasAz()) {
      console.log('note: az is not on PATH: API Management was not asked to refresh its certificates; it picks up a new version within four hours');
      return;
    }
    process.exitCode = bash('apim-refresh.sh', [stackDir], { ...tfEnv, TERRAFORM: terraform }).status ?? 1;
  }
}

main().catch((error) => {
  if (error.forUser) console.error(`error: ${error.message}`);
  else reportError(error);
  process.exitCode = error.exitCode ?? 1;
});
