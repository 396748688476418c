import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './support/run-command';

/** Runs a bash snippet with pipelines/scripts/guards.sh sourced, as the plan and apply scripts do. */
function withHelpers(script: string, env: Record<string, string> = {}) {
  return spawnSync('bash', ['-c', `source pipelines/scripts/guards.sh; ${script}`], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
}

describe('pipeline script guards', () => {
  it('refuse a secret that Azure DevOps left as an unexpanded $(macro)', () => {
    const result = withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: TF_PLAN_ENCRYPTION_KEY is not set (add it as a secret variable');
  });

  it('refuse a missing or short encryption key, and accept a long one', () => {
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32').status).toBe(1);
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: 'short' }).stderr).toContain('shorter than 32 characters');
    expect(withHelpers('require_secret TF_PLAN_ENCRYPTION_KEY 32', { TF_PLAN_ENCRYPTION_KEY: 'x'.repeat(48) }).status).toBe(0);
  });

  it('refuse a stack with local state, which an agent would throw away', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'));
    try {
      fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: 'x' } } } }, null, 2));
      expect(withHelpers(`require_remote_state ${dir}`).stderr).toContain('keeps local state');
      fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { azurerm: { key: 'x' } } } }, null, 2));
      expect(withHelpers(`require_remote_state ${dir}`).status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop the plan script before Terraform runs when the encryption key is missing', () => {
    const result = spawnSync('bash', ['pipelines/scripts/terraform-plan.sh', 'cdktf.out/stacks/none', path.join(os.tmpdir(), 'never')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TF_PLAN_ENCRYPTION_KEY: '$(TF_PLAN_ENCRYPTION_KEY)' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('error: TF_PLAN_ENCRYPTION_KEY is not set (add it as a secret variable to the environment\'s variable group)');
  });
});
