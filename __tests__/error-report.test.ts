import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyProject } from './support/project-copy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { reportError } = require('../scripts/run.js') as { reportError: (error: unknown) => void };

function reported(error: unknown, env: Record<string, string | undefined> = {}): string[] {
  const lines: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(((text: string) => {
    lines.push(...String(text).replace(/\n$/, '').split('\n'));
    return true;
  }) as never);
  try {
    reportError(error);
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
  return lines;
}

const systemError = (code: string, syscall: string, file: string) => Object.assign(new Error(`${code}: failed, ${syscall} '${file}'`), { code, syscall, path: file });

describe('errors are one line: what, where, fix', () => {
  it.each([
    ['ENOSPC', 'write', 'error: the disk is full (write /out/.cdktf.out-x/stacks/dev/cdk.tf.json). Fix: free some space'],
    ['EROFS', 'mkdtemp', 'error: the file system is read-only (mkdtemp /out/.cdktf.out-x). Fix: run from a writable checkout'],
    ['EACCES', 'open', 'error: permission denied (open /out/cdktf.out.lock). Fix: check the owner and mode of that path'],
  ])('%s becomes one line naming the call and the path, with the fix', (code, syscall, start) => {
    const file = start.match(/\((?:\w+) ([^)]+)\)/)![1];
    const lines = reported(systemError(code, syscall, file), { APIMCERT_DEBUG: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(start)).toBe(true);
    expect(lines[0]).toContain('APIMCERT_DEBUG=1 shows the stack trace');
  });

  it('adds the stack trace only with APIMCERT_DEBUG=1', () => {
    const lines = reported(systemError('ENOSPC', 'write', '/out/x'), { APIMCERT_DEBUG: '1' });
    expect(lines[0]).toBe('error: the disk is full (write /out/x). Fix: free some space, or point CDKTF_OUTDIR / TMPDIR at a disk with room');
    expect(lines.slice(1).some((l) => l.includes('at '))).toBe(true);
  });

  describe('an environment file that is wrong', () => {
    let copy: ReturnType<typeof copyProject>;
    let envFile: string;
    beforeAll(() => {
      copy = copyProject();
      envFile = path.join(copy.dir, 'environments', fs.readdirSync(path.join(copy.dir, 'environments')).find((f) => f !== 'index.ts')!);
    });
    afterAll(() => copy.remove());
    const synth = () => spawnSync(process.execPath, ['scripts/synth.js'], { cwd: copy.dir, encoding: 'utf8', env: { ...process.env, CDKTF_OUTDIR: path.join(copy.dir, 'out'), APIMCERT_DEBUG: undefined } });

    it('that throws is one line with its file and line, not a trace into the bundle', () => {
      const original = fs.readFileSync(envFile, 'utf8');
      const lines = original.split('\n');
      const at = lines.findIndex((l) => l.startsWith('const '));
      fs.writeFileSync(envFile, [...lines.slice(0, at), "if (process.pid > 0) throw new Error('vault settings missing');", ...lines.slice(at)].join('\n'));
      try {
        const result = synth();
        expect(result.status).toBe(1);
        expect(result.stderr.trim().split('\n')).toEqual([
          `error: vault settings missing (at environments/${path.basename(envFile)}:${at + 1}:28). APIMCERT_DEBUG=1 shows the stack trace`,
        ]);
      } finally {
        fs.writeFileSync(envFile, original);
      }
    });

    it('that does not compile is one line with its file, line and column', () => {
      const original = fs.readFileSync(envFile, 'utf8');
      const lines = original.split('\n');
      const at = lines.findIndex((l) => /^\s+name: /.test(l));
      lines[at] = `${lines[at]},`;
      fs.writeFileSync(envFile, lines.join('\n'));
      try {
        const result = synth();
        expect(result.status).toBe(1);
        expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: environments/${path.basename(envFile)}:${at + 1}:\\d+: Expected identifier but found ","\\. Fix: `))]);
      } finally {
        fs.writeFileSync(envFile, original);
      }
    });
  });
});
