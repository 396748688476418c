import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBundle, openSealedFile, pipelineRun, requirePassphrase, sealBundle } from '../operations/plan-seal';

// operations/plan-seal.ts: the saved plan travels from the plan job to the apply job sealed (AES-256-GCM)
// and bound to its environment, stack and run.

const KEY = 'k'.repeat(48);
const context = { environment: 'orders-qa', stack: 'a'.repeat(64), run: 'ado-project-4711' };
const files = new Map([
  ['tfplan', Buffer.from('the saved plan, with every variable in clear')],
  ['certificates/partner.pfx', Buffer.from([0, 1, 2, 255])],
]);

describe('the plan seal', () => {
  it('opens what it sealed, byte for byte, for the same context and key', () => {
    const opened = openBundle(sealBundle(files, context, KEY), context, KEY);
    expect([...opened.keys()]).toEqual(['tfplan', 'certificates/partner.pfx']);
    expect(opened.get('certificates/partner.pfx')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('keeps the content unreadable in the sealed bytes', () => {
    expect(sealBundle(files, context, KEY).toString('latin1')).not.toContain('every variable in clear');
  });

  it.each([
    ['another environment', { ...context, environment: 'orders-prod' }, 'sealed for another environment'],
    ['another synthesized stack', { ...context, stack: 'b'.repeat(64) }, 'another synthesized stack'],
    ['another (older) run', { ...context, run: 'ado-project-4700' }, 'another pipeline run'],
  ])('refuses a bundle of %s before decrypting anything', (_, expected, message) => {
    expect(() => openBundle(sealBundle(files, context, KEY), expected, KEY)).toThrow(message);
  });

  it('refuses a bundle whose header was changed to claim this context: the header is authenticated', () => {
    const sealed = sealBundle(files, { ...context, environment: 'orders-prod' }, KEY);
    const forged = Buffer.from(sealed.toString('latin1').replace('"orders-prod"', '"orders-qa"  '), 'latin1');
    expect(() => openBundle(forged, context, KEY)).toThrow('does not authenticate');
  });

  it('refuses a flipped byte, a truncation and another key', () => {
    const sealed = sealBundle(files, context, KEY);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 3] ^= 1;
    expect(() => openBundle(flipped, context, KEY)).toThrow('does not authenticate');
    expect(() => openBundle(sealed.subarray(0, 20), context, KEY)).toThrow('not one this project sealed');
    expect(() => openBundle(sealed, context, `${KEY}x`)).toThrow('does not authenticate');
  });

  it('says one line for a directory or an oversized file, checked by stat before reading', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-'));
    try {
      expect(() => openSealedFile(dir, context, KEY)).toThrow(/not a file, so not a sealed plan/);
      const big = path.join(dir, 'tfplan.enc');
      fs.writeFileSync(big, '');
      fs.truncateSync(big, 600 * 1024 * 1024);
      expect(() => openSealedFile(big, context, KEY)).toThrow(/629145600 bytes, more than a sealed plan may have/);
      expect(() => openSealedFile(path.join(dir, 'absent'), context, KEY)).toThrow(/no sealed plan there/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key Azure DevOps left as its unexpanded macro, or one too short', () => {
    expect(() => requirePassphrase({ TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' })).toThrow('is not set');
    expect(() => requirePassphrase({ TF_PLAN_ENCRYPTION_KEY: 'short' })).toThrow('shorter than 32');
    expect(requirePassphrase({ TF_PLAN_ENCRYPTION_KEY: KEY })).toBe(KEY);
  });

  it('names the run the same in every job and attempt of one pipeline run', () => {
    expect(pipelineRun({ GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '1', GITHUB_REPOSITORY: 'o/r' })).toBe(pipelineRun({ GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2', GITHUB_REPOSITORY: 'o/r' }));
    expect(pipelineRun({ BUILD_BUILDID: '5', SYSTEM_TEAMPROJECTID: 'p', SYSTEM_JOBID: 'plan' })).toBe(pipelineRun({ BUILD_BUILDID: '5', SYSTEM_TEAMPROJECTID: 'p', SYSTEM_JOBID: 'apply' }));
  });
});
