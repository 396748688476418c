import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * How the operational steps run the Azure CLI and Terraform: a function from arguments to a result, so
 * that the steps take their runners as parameters and tests drive them in-process with recorded calls
 * (or the real tools against an emulator) instead of fake executables on PATH.
 */
export interface CommandResult {
  /** The exit status; null when the process was stopped by a signal, timed out or never started. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Captured output (empty with `stdio: 'inherit'`). */
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the process could not be started (code ENOENT: not installed) or ran out of time. */
  readonly failure?: 'not-found' | 'timed-out' | 'output-too-large' | 'cancelled';
}

export interface RunOptions {
  /** The whole environment of the process (never merged with this process's own by the runner). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** 'capture' (default): stdout and stderr are returned. 'inherit': the user sees the tool's own output and prompts. */
  readonly stdio?: 'capture' | 'inherit';
  /** Stopped (and reported as 'timed-out') after this long. */
  readonly timeoutMs?: number;
  /** Captured stdout beyond this is refused ('output-too-large'), the process stopped. @default 64 MiB */
  readonly maxOutputBytes?: number;
  /** Aborting stops the process with SIGTERM. Ctrl-C reaches a tool on the terminal by itself, and a captured one through processRunner. */
  readonly signal?: AbortSignal;
  /**
   * How long a stopped process has before SIGKILL; null: never (Terraform, stopped, releases its state lock
   * and must not be cut short). @default 5000
   */
  readonly killGraceMs?: number | null;
  /**
   * A cleanup's call (removing the rule a command let through a vault's firewall): a signal of the command
   * does not stop it, and Ctrl-C is not passed on to it, so a second Ctrl-C cannot leave the rule behind.
   * Its timeout still bounds it.
   */
  readonly cleanup?: boolean;
}

export type CommandRunner = (args: readonly string[], options?: RunOptions) => Promise<CommandResult>;

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Where `name` is on PATH: on Windows also name.exe, name.cmd and so on (PATHEXT), since the Azure CLI
 * installs az.cmd there. Undefined when it is not installed.
 */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (path.isAbsolute(name)) return fs.existsSync(name) ? name : undefined;
  const pathVariable = env.PATH ?? env.Path ?? '';
  // Windows matches names case-insensitively; a case-sensitive file system (a test's) needs both spellings.
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean).flatMap((e) => [e, e.toLowerCase()])] : [''];
  for (const dir of pathVariable.split(platform === 'win32' ? ';' : path.delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      try {
        const stats = fs.statSync(candidate);
        if (stats.isFile() && (platform === 'win32' || (stats.mode & 0o111) !== 0)) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

// What cmd.exe would read as syntax even inside double quotes, or what would end a quoted word.
const CMD_UNSAFE = /["%!\r\n\0^]/;

/**
 * The command line cmd.exe runs for a batch file (az.cmd): every word in double quotes. Node refuses to
 * start a .cmd without a shell since 2024 (CVE-2024-27980), and a shell line is only as safe as its
 * quoting, so a word cmd.exe could still read as syntax is refused rather than escaped. The steps only
 * pass names, ids, addresses, URLs and file paths the configuration check already limits.
 */
export function windowsBatchCommandLine(executable: string, args: readonly string[]): string {
  for (const word of [executable, ...args]) {
    if (CMD_UNSAFE.test(word)) throw new Error(`cannot pass ${JSON.stringify(word)} to ${path.basename(executable)} through cmd.exe safely`);
  }
  return `"${[executable, ...args].map((w) => `"${w}"`).join(' ')}"`;
}

/** A runner for the executable `name`, found on the PATH of each call's environment. */
/**
 * The process groups of the captured commands running now. Their own group keeps them from the terminal's
 * Ctrl-C, so this process passes it on to them; when nothing else in the process listens for it, it then
 * ends as Ctrl-C would have ended it (exit by SIGINT).
 */
const runningGroups = new Set<number>();
function passInterruptOn(): void {
  for (const pid of runningGroups) {
    try {
      process.kill(-pid, 'SIGINT');
    } catch {
      // the group ended meanwhile
    }
  }
  if (process.listenerCount('SIGINT') === 1) {
    process.removeListener('SIGINT', passInterruptOn);
    process.kill(process.pid, 'SIGINT');
  }
}
function trackGroup(pid: number): () => void {
  if (runningGroups.size === 0) process.on('SIGINT', passInterruptOn);
  runningGroups.add(pid);
  return () => {
    runningGroups.delete(pid);
    if (runningGroups.size === 0) process.removeListener('SIGINT', passInterruptOn);
  };
}

export function processRunner(name: string, platform: NodeJS.Platform = process.platform): CommandRunner {
  return (args, options = {}) =>
    new Promise((resolve) => {
      const env = options.env ?? process.env;
      const executable = findExecutable(name, env, platform);
      if (!executable) {
        resolve({ status: null, signal: null, stdout: '', stderr: `${name} is not on PATH`, failure: 'not-found' });
        return;
      }
      const batch = platform === 'win32' && /\.(cmd|bat)$/i.test(executable);
      const [command, argv, extra] = batch
        ? [env.ComSpec ?? env.COMSPEC ?? 'cmd.exe', ['/d', '/s', '/c', windowsBatchCommandLine(executable, args)], { windowsVerbatimArguments: true }]
        : [executable, [...args], {}];
      const capture = (options.stdio ?? 'capture') === 'capture';
      // A captured command gets a process group of its own, so that stopping it stops what it started:
      // the Azure CLI of Debian's package is a shell launcher that runs python as a child (no exec), and
      // python, left running, would hold the output open and the call would never end. A command on the
      // terminal (Terraform asking for approval) stays in the terminal's group, where it can read it.
      const group = capture && platform !== 'win32';
      const child = spawn(command, argv, {
        ...extra,
        cwd: options.cwd,
        env,
        stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
        windowsHide: true,
        detached: group,
      });
      const untrack = group && !options.cleanup && child.pid !== undefined ? trackGroup(child.pid) : () => undefined;
      const signalTree = (signal: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          if (group) process.kill(-child.pid, signal);
          // Windows has no process groups: taskkill /T ends the tree (cmd.exe, then the az.cmd python).
          else if (platform === 'win32' && capture) spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => child.kill(signal));
          else child.kill(signal);
        } catch {
          child.kill(signal); // the group is gone already
        }
      };
      const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let failure: CommandResult['failure'];
      const stop = (why: NonNullable<CommandResult['failure']>) => {
        failure ??= why;
        signalTree('SIGTERM');
        // A tool that ignores SIGTERM is stopped for good a little later; so is anything of it that still
        // holds the output open after the tool itself has ended.
        const grace = options.killGraceMs === undefined ? 5000 : options.killGraceMs;
        if (grace !== null) setTimeout(() => signalTree('SIGKILL'), grace).unref();
      };
      child.stdout?.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > limit) stop('output-too-large');
        else out.push(chunk);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        // Only the end of stderr is kept: it is for messages, and a chatty tool must not fill memory.
        err.push(chunk);
        while (err.length > 1 && err.reduce((n, c) => n + c.length, 0) > 1024 * 1024) err.shift();
      });
      const timer = options.timeoutMs !== undefined ? setTimeout(() => stop('timed-out'), Math.max(0, options.timeoutMs)) : undefined;
      const onAbort = () => stop('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      child.on('error', (error: NodeJS.ErrnoException) => {
        untrack();
        if (timer) clearTimeout(timer);
        resolve({ status: null, signal: null, stdout: '', stderr: error.message, failure: error.code === 'ENOENT' ? 'not-found' : failure });
      });
      child.on('close', (status, signal) => {
        untrack();
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({
          status: failure ? null : status,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          ...(failure ? { failure } : {}),
        });
      });
    });
}

/**
 * `run`, bound to a command's interruption (interruptions.ts): once `interrupted` is aborted, a call is not
 * begun, and the call under way is stopped; either ends as 'cancelled'. A cleanup's calls run regardless.
 */
export function interruptible(run: CommandRunner, interrupted: AbortSignal | undefined): CommandRunner {
  if (!interrupted) return run;
  return (args, options = {}) => {
    if (options.cleanup) return run(args, options);
    if (interrupted.aborted) return Promise.resolve({ status: null, signal: null, stdout: '', stderr: 'not begun: the command was interrupted', failure: 'cancelled' });
    return run(args, { ...options, signal: options.signal ? AbortSignal.any([options.signal, interrupted]) : interrupted });
  };
}
