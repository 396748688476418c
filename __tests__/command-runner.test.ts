import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, interruptible, processRunner, windowsBatchCommandLine } from '../operations/command-runner';
import { withoutSecrets } from '../operations/azure-cli';
import { makePrivateDirectory, sweepLeftovers, windowsAclArguments } from '../operations/private-directory';
import { shellQuote } from '../preflight/openssl-commands';

// How the steps start az and Terraform on every platform, what they keep from them, and where their
// private copies live.

describe('starting a tool', () => {
  it('finds az.cmd on a Windows PATH by PATHEXT, and a plain executable elsewhere', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'which-'));
    try {
      fs.writeFileSync(path.join(dir, 'az.cmd'), '@echo off\n');
      expect(findExecutable('az', { Path: dir, PATHEXT: '.EXE;.CMD' }, 'win32')).toBe(path.join(dir, 'az.cmd'));
      fs.writeFileSync(path.join(dir, 'terraform'), '#!/bin/sh\n', { mode: 0o755 });
      expect(findExecutable('terraform', { PATH: dir }, 'linux')).toBe(path.join(dir, 'terraform'));
      expect(findExecutable('az', { PATH: dir }, 'linux')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes every word for cmd.exe, and refuses a word cmd.exe could still read as syntax', () => {
    expect(windowsBatchCommandLine('C:\\az\\az.cmd', ['keyvault', 'show', '--name', 'kv-x', '--query', 'properties'])).toBe('""C:\\az\\az.cmd" "keyvault" "show" "--name" "kv-x" "--query" "properties""');
    for (const word of ['a"b', '%PATH%', 'x!y', 'a\nb', 'a^b']) expect(() => windowsBatchCommandLine('az.cmd', [word])).toThrow('cannot pass');
  });

  it('reports a tool that is not installed as not-found, and stops one that outlives its time', async () => {
    const missing = await processRunner('apimcert-no-such-tool')(['--version'], { env: { PATH: os.tmpdir() } });
    expect(missing.failure).toBe('not-found');
    const slow = await processRunner(process.execPath)(['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 });
    expect([slow.failure, slow.status]).toEqual(['timed-out', null]);
  });

  it("stops what a timed-out tool started too: a launcher's child (Debian's az runs python without exec) cannot hold the call open", async () => {
    // The launcher waits for its child, which inherits the output pipes and would run for 60 s.
    const launcher = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' }); c.on('exit', (code) => process.exit(code ?? 1));`;
    const started = Date.now();
    const result = await processRunner(process.execPath)(['-e', launcher], { timeoutMs: 300, killGraceMs: 1000 });
    expect([result.failure, result.status]).toEqual(['timed-out', null]);
    // Not a timing assertion: without the group kill, this call only returns when the grandchild's minute is up.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("passes Ctrl-C on to a captured command's own process group, and ends as Ctrl-C would when nothing else listens for it", async () => {
    if (process.platform === 'win32') return; // POSIX process groups and signals
    // A command that runs a long captured child with processRunner (support/interrupt-probe.ts), then the
    // SIGINT a terminal sends it.
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'interrupt-')), 'child.pid');
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'run.js'), path.join(__dirname, 'support', 'interrupt-probe.ts'), pidFile], { stdio: 'ignore' });
    for (let i = 0; i < 500 && !fs.existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    const ended = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    expect(ended).toEqual([null, 'SIGINT']);
    // The captured command's group got it too: its minute-long wait is over.
    const alive = () => {
      try {
        process.kill(grandchild, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
    fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
  });

  it("does not pass Ctrl-C on to a cleanup's call: a second Ctrl-C cannot leave a vault's rule behind", async () => {
    if (process.platform === 'win32') return; // POSIX process groups and signals
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'interrupt-')), 'child.pid');
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'run.js'), path.join(__dirname, 'support', 'interrupt-probe.ts'), pidFile, 'cleanup'], { stdio: 'ignore' });
    for (let i = 0; i < 500 && !fs.existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const ended = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(ended).toBe(0);
    // The call ended by itself, with exit 0, not by the SIGINT.
    expect(JSON.parse(fs.readFileSync(`${pidFile}.result`, 'utf8'))).toEqual([0, null]);
    fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
  });

  it("after a command's signal, begins no call and stops the one under way, except a cleanup's", async () => {
    const interrupted = new AbortController();
    const run = interruptible(processRunner(process.execPath), interrupted.signal);
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'interruptible-')), 'ran');
    setTimeout(() => interrupted.abort(), 200);
    const underWay = await run(['-e', 'setTimeout(() => {}, 20000)']);
    expect([underWay.failure, underWay.status]).toEqual(['cancelled', null]);
    const notBegun = await run(['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`]);
    expect([notBegun.failure, notBegun.stderr, fs.existsSync(marker)]).toEqual(['cancelled', 'not begun: the command was interrupted', false]);
    const cleanup = await run(['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`], { cleanup: true });
    expect([cleanup.status, fs.existsSync(marker)]).toEqual([0, true]);
    fs.rmSync(path.dirname(marker), { recursive: true, force: true });
  });

  it('never gives az the certificate secrets, the plan key or a client secret', () => {
    const kept = withoutSecrets({ PATH: '/bin', TF_VAR_a_pfx_password: 'p', TF_VAR_a_pfx_path: '/x', PEM_FILE_a: '/y', TF_PLAN_ENCRYPTION_KEY: 'k', ARM_CLIENT_SECRET: 's', MTLS_PFX_BASE64: 'b', MTLS_PFX_PASSWORD: 'q', AZURE_CONFIG_DIR: '/c' });
    expect(kept).toEqual({ PATH: '/bin', AZURE_CONFIG_DIR: '/c' });
  });

  it('quotes the fix commands it prints for the shell of the platform: POSIX, or PowerShell on Windows', () => {
    expect(shellQuote("it's.pfx", 'linux')).toBe("'it'\\''s.pfx'");
    expect(shellQuote("it's.pfx", 'win32')).toBe("'it''s.pfx'");
    expect(shellQuote('C:\\certs\\client.pfx', 'win32')).toBe('C:\\certs\\client.pfx');
    expect(shellQuote('@file,x', 'win32')).toBe("'@file,x'");
  });
});

describe('private temporary directories', () => {
  it('are owner-only on POSIX, and removed however the run ends, a killed run\'s by the next run', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'private-'));
    try {
      const dir = await makePrivateDirectory('workstation', { tempRoot: root, platform: 'linux' });
      expect(fs.statSync(dir.path).mode & 0o777).toBe(0o700);
      dir.remove();
      // What a run killed outright leaves: its process is gone.
      const leftover = path.join(root, 'apimcert-workstation-999999999-abc');
      fs.mkdirSync(leftover);
      expect(sweepLeftovers('workstation', root)).toEqual([leftover]);
      expect(fs.existsSync(leftover)).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('on Windows get an ACL for this user alone (icacls), not a chmod', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'private-'));
    const calls: string[][] = [];
    try {
      const dir = await makePrivateDirectory('workstation', {
        tempRoot: root,
        platform: 'win32',
        env: { USERNAME: 'jane', USERDOMAIN: 'CONTOSO' },
        icacls: async (args) => (calls.push([...args]), { status: 0, signal: null, stdout: '', stderr: '' }),
      });
      expect(calls).toEqual([windowsAclArguments(dir.path, { USERNAME: 'jane', USERDOMAIN: 'CONTOSO' })]);
      expect(calls[0].slice(1)).toEqual(['/inheritance:r', '/grant:r', 'CONTOSO\\jane:(OI)(CI)F']);
      await expect(
        makePrivateDirectory('workstation', { tempRoot: root, platform: 'win32', env: {}, icacls: async () => ({ status: 5, signal: null, stdout: '', stderr: 'Access is denied.' }) }),
      ).rejects.toThrow('icacls could not restrict');
      expect(fs.readdirSync(root).length).toBe(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
