import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

// Environments of the test's own, in a copy of the project: a team's (or none) are not what it checks.
const staging = { ...qaEnvironment, name: 'staging', keyVault: { name: 'kv-payments-staging' }, apiManagement: { ...qaEnvironment.apiManagement, name: 'apim-payments-staging' } };
const STACKS = ['qa', 'staging'];
let project: ReturnType<typeof projectWithEnvironments>;
beforeAll(() => {
  project = projectWithEnvironments([qaEnvironment, staging]);
});
afterAll(() => project.remove());
const runScript = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => project.run(script, args, env);

/** The output is whole: every environment's stack with its Terraform JSON and deployment manifest. */
function isComplete(outdir: string): boolean {
  try {
    const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
    return (
      JSON.stringify(stacks) === JSON.stringify(STACKS) &&
      stacks.every((s) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')).terraform !== undefined && fs.existsSync(path.join(outdir, 'stacks', s, 'deployment.json')))
    );
  } catch {
    return false;
  }
}

function synthAsync(outdir: string, env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [path.join(project.dir, 'scripts/synth.js')], { cwd: project.dir, env: { ...process.env, CDKTF_OUTDIR: outdir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('cdktf.out is replaced atomically, by one synth at a time', () => {
  let workdir: string;
  let outdir: string;
  beforeEach(() => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-directory-'));
    outdir = path.join(workdir, 'cdktf.out');
  });
  afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('leaves only cdktf.out and the one directory it points to, after each synth', () => {
    for (let i = 0; i < 2; i++) {
      expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir }).status).toBe(0);
      const entries = fs.readdirSync(workdir).sort();
      expect(entries).toEqual(['.cdktf.out-' + fs.readlinkSync(outdir).slice('.cdktf.out-'.length), 'cdktf.out'].sort());
      expect(isComplete(outdir)).toBe(true);
    }
  });

  it('always shows a complete output, whenever a synth is killed, and the next synth clears what the killed ones left', async () => {
    expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir }).status).toBe(0);
    // Kill points spread over a synth's run (about 0.4-0.7 s here): loading, writing, swapping.
    for (const delay of [30, 150, 270, 390, 510, 630]) {
      const child = synthAsync(outdir);
      const closed = new Promise((resolve) => child.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      await closed;
      expect([delay, isComplete(outdir)]).toEqual([delay, true]);
    }
    // Nothing a killed synth left (not even a lock it was killed while taking) may make the next one wait.
    const next = runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir, SYNTH_LOCK_TIMEOUT_MS: '3000' });
    expect([next.status, next.stderr]).toEqual([0, '']);
    expect(fs.readdirSync(workdir).sort()).toEqual([fs.readlinkSync(outdir), 'cdktf.out'].sort());
  }, 60_000);

  it('lets concurrent synths take turns instead of crashing', async () => {
    const runs = [0, 1, 2].map(() => synthAsync(outdir));
    const results = await Promise.all(
      runs.map(
        (child) =>
          new Promise<{ status: number | null; stderr: string }>((resolve) => {
            let stderr = '';
            child.stderr.on('data', (d) => (stderr += d));
            child.on('close', (status) => resolve({ status, stderr }));
          }),
      ),
    );
    expect(results).toEqual([0, 1, 2].map(() => ({ status: 0, stderr: '' })));
    expect(isComplete(outdir)).toBe(true);
    expect(fs.readdirSync(workdir).sort()).toEqual([fs.readlinkSync(outdir), 'cdktf.out'].sort());
  }, 60_000);

  it('names the synth holding the lock when it gives up waiting, and leaves the output alone', () => {
    expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir }).status).toBe(0);
    const target = fs.readlinkSync(outdir);
    // This test process is alive, so its lock is no leftover.
    fs.writeFileSync(`${outdir}.lock`, JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-11-27T08:00:00.000Z' }));
    const result = runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir, SYNTH_LOCK_TIMEOUT_MS: '300' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `error: cdktf.out is being written by another synth (pid ${process.pid} on ${os.hostname()}, since 2026-11-27T08:00:00.000Z). Fix: wait for it to finish, or remove ${outdir}.lock if that process is gone`,
    );
    expect(fs.readlinkSync(outdir)).toBe(target);
  });

  it('takes over a lock left by a synth that no longer runs', () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    fs.writeFileSync(`${outdir}.lock`, JSON.stringify({ pid: Number(gone.stdout.trim()), host: os.hostname(), since: '2026-11-27T08:00:00.000Z' }));
    expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir, SYNTH_LOCK_TIMEOUT_MS: '300' }).status).toBe(0);
    expect(fs.existsSync(`${outdir}.lock`)).toBe(false);
  });

  it('removes the lock candidate of a synth killed while taking the lock, and is not held up by it', () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    // Written before it is linked into place as cdktf.out.lock: a kill in between leaves only this.
    fs.writeFileSync(`${outdir}.lock-${os.hostname()}-${gone.stdout.trim()}`, '');
    expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir, SYNTH_LOCK_TIMEOUT_MS: '300' }).status).toBe(0);
    expect(fs.readdirSync(workdir).sort()).toEqual([fs.readlinkSync(outdir), 'cdktf.out'].sort());
  });

  it('replaces a plain cdktf.out directory left by an older version or the cdktf CLI', () => {
    fs.mkdirSync(path.join(outdir, 'stacks', 'stale'), { recursive: true });
    expect(runScript('scripts/synth.js', [], { CDKTF_OUTDIR: outdir }).status).toBe(0);
    expect(isComplete(outdir)).toBe(true);
    expect(fs.readdirSync(workdir).sort()).toEqual([fs.readlinkSync(outdir), 'cdktf.out'].sort());
  });
});
