import { execFile } from 'node:child_process';
import path from 'node:path';

// Runs the real command the way `npm run cert:check` does (scripts/run.js bundling the
// TypeScript entry), so exit codes and stdout/stderr are tested end to end.

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` replaces the password variables entirely, so a CERT_PASSWORD in the developer's shell cannot leak into a test. */
export function runCertCheckCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const inherited = { ...process.env };
  delete inherited.CERT_PASSWORD;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['scripts/run.js', 'scripts/cert-check.ts', ...args],
      { cwd: REPO_ROOT, env: { ...inherited, ...env }, encoding: 'utf8' },
      (failure, stdout, stderr) => {
        if (failure && typeof failure.code !== 'number') {
          reject(failure);
          return;
        }
        resolve({ code: failure ? Number(failure.code) : 0, stdout, stderr });
      },
    );
  });
}
