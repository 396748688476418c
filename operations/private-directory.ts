import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from './command-runner';

/**
 * A temporary directory only this user can read, for the copies of certificate files a command hands to
 * Terraform. POSIX: mkdtemp makes it 0700 and that is checked, not assumed (a umask cannot widen it, a
 * planted directory of another owner is refused). Windows: chmod means nothing to NTFS, so the inherited
 * ACL (which on a shared machine may include other users or Everyone) is replaced with one entry for
 * this user, by icacls, Windows' own tool for it.
 *
 * Each directory carries the creating process's id in its name, so that a later run removes what a
 * killed one (kill -9, a closed terminal) left behind: `sweepLeftovers`.
 */
export interface PrivateDirectory {
  readonly path: string;
  remove(): void;
}

const PREFIX = 'apimcert-';

export interface PrivateDirectoryOptions {
  readonly platform?: NodeJS.Platform;
  readonly tempRoot?: string;
  /** Runs icacls on Windows. */
  readonly icacls?: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
}

export async function makePrivateDirectory(purpose: string, options: PrivateDirectoryOptions = {}): Promise<PrivateDirectory> {
  const platform = options.platform ?? process.platform;
  const root = options.tempRoot ?? os.tmpdir();
  const dir = fs.mkdtempSync(path.join(root, `${PREFIX}${purpose}-${process.pid}-`));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    if (platform === 'win32') {
      await restrictToCurrentUser(dir, options);
    } else {
      fs.chmodSync(dir, 0o700);
      const stats = fs.lstatSync(dir);
      const uid = process.getuid?.();
      if (!stats.isDirectory() || (stats.mode & 0o077) !== 0 || (uid !== undefined && stats.uid !== uid)) {
        throw new Error(`${dir} is not a directory private to this user (mode ${(stats.mode & 0o777).toString(8)})`);
      }
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { path: dir, remove };
}

/** `icacls <dir> /inheritance:r /grant:r <DOMAIN\user>:(OI)(CI)F`: this user alone, for the directory and all it will hold. */
export function windowsAclArguments(dir: string, env: NodeJS.ProcessEnv): string[] {
  const user = env.USERNAME ?? os.userInfo().username;
  const account = env.USERDOMAIN ? `${env.USERDOMAIN}\\${user}` : user;
  return [dir, '/inheritance:r', '/grant:r', `${account}:(OI)(CI)F`];
}

async function restrictToCurrentUser(dir: string, options: PrivateDirectoryOptions): Promise<void> {
  if (!options.icacls) throw new Error('no icacls runner to restrict the temporary directory to this user');
  const result = await options.icacls(windowsAclArguments(dir, options.env ?? process.env), { env: options.env ?? process.env, timeoutMs: 30_000 });
  if (result.status !== 0) throw new Error(`icacls could not restrict ${dir} to this user: ${result.stderr.trim().split('\n').pop() ?? ''}`);
}

/** Whether a process of this id is alive (a process of another user counts as alive: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the private directories of `purpose` whose creating process is gone: what a killed run left.
 * Only this user's own (another user's cannot be removed, and is private to them anyway).
 */
export function sweepLeftovers(purpose: string, tempRoot: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  const pattern = new RegExp(`^${PREFIX}${purpose}-(\\d+)-`);
  let entries: string[];
  try {
    entries = fs.readdirSync(tempRoot);
  } catch {
    return removed;
  }
  for (const name of entries) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    const dir = path.join(tempRoot, name);
    try {
      const stats = fs.lstatSync(dir);
      const uid = process.getuid?.();
      if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // gone already, or not ours
    }
  }
  return removed;
}
