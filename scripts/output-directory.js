// cdktf.out, replaced atomically and written by one synth at a time.
//
// cdktf.out is a symbolic link to a complete output directory beside it (.cdktf.out-XXXXXX). A new
// output is written to a fresh directory, and the link is swapped for one to it with a single
// rename(2), which replaces the old link atomically: a reader, or a synth killed at any instant, sees
// the previous complete output or the new one, never a missing or half-written cdktf.out. Directories
// left by killed runs are removed by the next run. A lock file (cdktf.out.lock) names the synth that
// holds it, so a second synth waits, and reports who is writing when it gives up. The lock appears whole
// or not at all (written beside it, then hard-linked into place): a synth killed while taking it must
// not leave an empty lock that names nobody, which no later synth could tell from a live one.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** A mistake or a conflict to show as one "error:" line. */
class OutputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OutputError';
  }
}

/**
 * Runs `write(stagingDir)` under the lock and, when it returns, makes what it wrote the new `outdir`.
 * Whatever `write` throws leaves `outdir` as it was.
 */
async function replaceOutput(outdir, write, { lockTimeoutMs = Number(process.env.SYNTH_LOCK_TIMEOUT_MS ?? 120_000) } = {}) {
  const parent = path.dirname(outdir);
  const base = path.basename(outdir);
  fs.mkdirSync(parent, { recursive: true });
  const release = acquireLock(`${outdir}.lock`, lockTimeoutMs);
  try {
    removeLeftovers(parent, base, outdir);
    const staging = fs.mkdtempSync(path.join(parent, `.${base}-`));
    try {
      await write(staging);
      publish(outdir, staging);
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw error;
    }
  } finally {
    release();
  }
}

function acquireLock(lockFile, timeoutMs) {
  const me = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
  const deadline = Date.now() + timeoutMs;
  removeDeadCandidates(lockFile);
  // Named by host and pid: a project directory on a share may be synthesized from two machines.
  const candidate = `${lockFile}-${os.hostname()}-${process.pid}`;
  const release = () => {
    // Only our own lock: a stale-lock takeover by another run must not be undone by us.
    if (readLock(lockFile)?.pid === process.pid) fs.rmSync(lockFile, { force: true });
  };
  for (;;) {
    fs.writeFileSync(candidate, me);
    try {
      // link(2) fails if the lock exists, and otherwise publishes a lock that is already complete.
      fs.linkSync(candidate, lockFile);
      fs.rmSync(candidate, { force: true });
      return release;
    } catch (error) {
      fs.rmSync(candidate, { force: true });
      if (error.code === 'EPERM' || error.code === 'ENOTSUP' || error.code === 'ENOSYS') {
        // No hard links here (FAT, exFAT, some SMB shares): create-exclusive and write, as before links.
        try {
          fs.writeFileSync(lockFile, me, { flag: 'wx' });
          return release;
        } catch (fallback) {
          if (fallback.code !== 'EEXIST') throw fallback;
        }
      } else if (error.code !== 'EEXIST') throw error;
    }
    const holder = readLock(lockFile);
    if (holder && holder.host === os.hostname() && !isRunning(holder.pid)) {
      // Left by a synth that was killed: nobody is writing.
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a process that left no details';
      throw new OutputError(
        `${path.basename(lockFile, '.lock')} is being written by another synth (${who}). Fix: wait for it to finish, or remove ${lockFile} if that process is gone`,
      );
    }
    sleep(100);
  }
}

/** Lock candidates (cdktf.out.lock-<host>-<pid>) of synths on this machine that were killed while taking the lock. */
function removeDeadCandidates(lockFile) {
  const prefix = `${path.basename(lockFile)}-${os.hostname()}-`;
  for (const name of fs.readdirSync(path.dirname(lockFile))) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid)) fs.rmSync(path.join(path.dirname(lockFile), name), { force: true });
  }
}

function readLock(lockFile) {
  try {
    return JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  } catch {
    return undefined; // being written this instant, or removed: the caller looks again
  }
}

/** Output directories and temporary links that no link points to: what killed runs left behind. */
function removeLeftovers(parent, base, outdir) {
  const current = currentTarget(outdir);
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(`.${base}-`) && !name.startsWith(`.${base}.link-`)) continue;
    if (name === current) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function currentTarget(outdir) {
  try {
    return fs.readlinkSync(outdir);
  } catch {
    return undefined; // no cdktf.out yet, or a plain directory from an older version
  }
}

function publish(outdir, staging) {
  const parent = path.dirname(outdir);
  let previous = currentTarget(outdir);
  if (previous === undefined && fs.existsSync(outdir)) {
    // A plain directory (written by an older version, or by the cdktf CLI): moved aside once, so the
    // link can take its place. Only this first switch has a moment without cdktf.out.
    previous = `.${path.basename(outdir)}-${crypto.randomBytes(4).toString('hex')}`;
    fs.renameSync(outdir, path.join(parent, previous));
  }
  const link = path.join(parent, `.${path.basename(outdir)}.link-${process.pid}`);
  fs.rmSync(link, { force: true });
  // Relative, so the pair can be moved or copied together.
  fs.symlinkSync(path.basename(staging), link);
  fs.renameSync(link, outdir);
  if (previous !== undefined) fs.rmSync(path.join(parent, previous), { recursive: true, force: true });
}

module.exports = { replaceOutput, OutputError };
