import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { EnvironmentStack } from '../constructs/environment-stack';
import { environments } from '../environments';
import { compilePipeline } from './support/azure-template';
import { azurePipelinesValidator } from './support/pipeline-schema';
import { PROJECT_ROOT } from './support/run-command';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const ADO_FILES = ['pipelines/azure-pipelines.yml', 'pipelines/templates/deploy-environment.yml', 'pipelines/templates/install-terraform.yml'];
const GITHUB_FILES = ['.github/workflows/deploy.yml', '.github/workflows/deploy-environment.yml'];
const SCHEMA = path.resolve(PROJECT_ROOT, '../shared/schemas/azure-pipelines.schema.json');

/** The TF_VAR_ names each environment's stack declares, from the stack itself. */
function declaredVariables(): Map<string, string[]> {
  return new Map(
    environments.map(({ config }) => {
      const stack = new EnvironmentStack(Testing.app(), config);
      const tf = JSON.parse(Testing.synth(stack));
      return [config.name, Object.keys(tf.variable ?? {}).map((v) => `TF_VAR_${v}`).sort()];
    }),
  );
}

/** TF_VAR_ names the GitHub workflow sets for a list of { stem, format } certificates, following its script's pattern. */
function variablesFor(certificates: { stem: string; format: string }[]): string[] {
  return certificates.flatMap((c) => [`TF_VAR_${c.stem}_${c.format}_path`, ...(c.format === 'pfx' ? [`TF_VAR_${c.stem}_pfx_password`] : [])]).sort();
}

describe('Azure DevOps pipeline', () => {
  const root = parse(read('pipelines/azure-pipelines.yml'));
  const deployStages = root.stages.filter((s: { template?: string }) => s.template === 'templates/deploy-environment.yml');
  // What Azure DevOps runs: the templates expanded for each environment's parameters.
  const compiled = compilePipeline(path.join(PROJECT_ROOT, 'pipelines/azure-pipelines.yml'));
  const stageOf = (env: string) => compiled.stages.find((s: any) => s.stage === `deploy_${env}`);
  const planStep = (env: string) => stageOf(env).jobs.find((j: any) => j.job === 'plan').steps.find((s: any) => s.displayName === 'terraform plan');

  // The schema comes with ../shared (CI has it); a user's clone may not, and then there is nothing to check against.
  const withSchema = fs.existsSync(SCHEMA);
  const validator = () => azurePipelinesValidator(SCHEMA);
  const itWithSchema = withSchema ? it : it.skip;

  itWithSchema("azure-pipelines.yml, as written, validates against Microsoft's Azure Pipelines schema", () => {
    const validate = validator();
    expect(validate(root) ? [] : validate.errors?.slice(0, 5)).toEqual([]);
  });

  itWithSchema("the compiled pipeline, with every template expanded, validates against Microsoft's schema", () => {
    const validate = validator();
    expect(validate(compiled) ? [] : validate.errors?.filter((e) => !['anyOf', 'oneOf'].includes(e.keyword)).slice(0, 5)).toEqual([]);
  });

  itWithSchema('the schema rejects a pipeline with a misspelled keyword (the check has teeth)', () => {
    expect(validator()({ ...root, stagez: root.stages })).toBe(false);
  });

  it('has one deploy stage per environment, in the order of environments/index.ts', () => {
    expect(deployStages.map((s: any) => s.parameters.environment)).toEqual(environments.map((e) => e.config.name));
  });

  it('chains the stages: synth, then each environment after the previous one', () => {
    const order = ['synth', ...deployStages.map((s: any) => `deploy_${s.parameters.environment}`)];
    expect(compiled.stages.map((s: any) => [s.stage, s.dependsOn])).toEqual(order.map((stage, i) => [stage, i === 0 ? undefined : order[i - 1]]));
  });

  it('sets exactly the TF_VAR_ variables each stack declares, from the secure file and the variable group', () => {
    const declared = declaredVariables();
    for (const { config } of environments) {
      const env = planStep(config.name).env as Record<string, string>;
      const tfVars = Object.keys(env).filter((k) => k.startsWith('TF_VAR_')).sort();
      expect([config.name, tfVars]).toEqual([config.name, declared.get(config.name)]);
      for (const name of tfVars) {
        expect(env[name]).toMatch(name.endsWith('_password') ? /^\$\(\w+_pfx_password\)$/ : /^\$\(file_\w+\.secureFilePath\)$/);
      }
    }
  });

  it('downloads each certificate as a secure file named by a compile-time parameter', () => {
    const downloads = stageOf('test').jobs[0].steps.filter((s: any) => s.task === 'DownloadSecureFile@1');
    expect(downloads.map((d: any) => [d.name, d.inputs.secureFile])).toEqual([
      ['file_mtls_backend', 'apimcert-test-mtls-backend.pfx'],
      ['file_partner_orders', 'apimcert-test-partner-orders.pem'],
    ]);
  });

  it('downloads the same certificate files in the apply job, where Terraform reads them again', () => {
    for (const { config } of environments) {
      const [plan, apply] = stageOf(config.name).jobs;
      const downloads = (steps: any[]) => steps.filter((s) => s.task === 'DownloadSecureFile@1').map((s) => [s.name, s.inputs.secureFile]);
      expect(downloads(apply.strategy.runOnce.deploy.steps)).toEqual(downloads(plan.steps));
      expect(downloads(plan.steps)).toHaveLength(config.certificates.length);
    }
  });

  it('passes only values that exist at run time: secrets from the variable group, secure file paths, system tokens', () => {
    const allowed = /^\$\((System\.AccessToken|System\.OidcRequestUri|TF_PLAN_ENCRYPTION_KEY|\w+_pfx_password|file_\w+\.secureFilePath)\)$/;
    for (const { config } of environments) {
      const [plan, apply] = stageOf(config.name).jobs;
      for (const step of [...plan.steps, ...apply.strategy.runOnce.deploy.steps].filter((s: any) => s.env)) {
        for (const [name, value] of Object.entries<string>(step.env)) {
          if (String(value).includes('$(')) expect([name, value]).toEqual([name, expect.stringMatching(allowed)]);
        }
      }
    }
  });

  it('applies the published plan in a deployment job bound to an Azure DevOps environment', () => {
    for (const { config } of environments) {
      const apply = stageOf(config.name).jobs.find((j: any) => j.deployment === 'apply');
      expect(apply).toMatchObject({ dependsOn: 'plan', environment: `apimcert-${config.name}` });
      const steps = apply.strategy.runOnce.deploy.steps;
      expect(steps).toContainEqual({ download: 'current', artifact: `plan-${config.name}` });
      expect(JSON.stringify(steps)).toContain('pipelines/scripts/terraform-apply.sh');
    }
    expect(read('pipelines/scripts/terraform-apply.sh')).toMatch(/terraform -chdir="\$stack_dir" apply -input=false -no-color tfplan/);
  });
});

describe('GitHub Actions workflows', () => {
  const caller = parse(read('.github/workflows/deploy.yml'));
  const envJobs = Object.entries<any>(caller.jobs).filter(([, job]) => job.uses === './.github/workflows/deploy-environment.yml');

  it.each(GITHUB_FILES)('%s passes action-validator', (file) => {
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/action-validator'), [file], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect([result.status, result.stdout]).toEqual([0, '']);
  });

  it('action-validator rejects a broken workflow (the check has teeth)', () => {
    const broken = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'wf-')), 'broken.yml');
    fs.writeFileSync(broken, read('.github/workflows/deploy.yml').replace('runs-on:', 'runs_on:'));
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/action-validator'), [broken], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });

  it('has one job per environment, in order, each after the previous one', () => {
    expect(envJobs.map(([, job]) => job.with.environment)).toEqual(environments.map((e) => e.config.name));
    const order = ['synth', ...envJobs.map(([name]) => name)];
    envJobs.forEach(([, job], i) => expect(job.needs).toBe(order[i]));
  });

  it('sets exactly the TF_VAR_ variables each stack declares', () => {
    const declared = declaredVariables();
    for (const [, job] of envJobs) {
      expect([job.with.environment, variablesFor(JSON.parse(job.with.certificates))]).toEqual([job.with.environment, declared.get(job.with.environment)]);
    }
  });

  it('uses OIDC, an environment per job, and removes the certificate files whatever happens', () => {
    const called = parse(read('.github/workflows/deploy-environment.yml'));
    const job = called.jobs.deploy;
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.permissions['id-token']).toBe('write');
    expect(job.steps.some((s: any) => String(s.uses).startsWith('azure/login@'))).toBe(true);
    expect(job.env.ARM_USE_OIDC).toBe('true');
    expect(JSON.stringify(called)).not.toMatch(/client-secret|ARM_CLIENT_SECRET|creds:/);
    const cleanup = job.steps.find((s: any) => s.name?.startsWith('Remove the certificate files'));
    expect(cleanup.if).toBe('always()');
    expect(job.steps.find((s: any) => s.name === 'Write the certificate files').run).toContain('umask 077');
  });
});

describe('pipeline files', () => {
  it.each([...ADO_FILES, ...GITHUB_FILES, 'pipelines/scripts/terraform-plan.sh', 'pipelines/scripts/terraform-apply.sh'])('%s holds no password or certificate content', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/-----BEGIN/);
    expect(text).not.toMatch(/[A-Za-z0-9+/]{64,}={0,2}/);
    // Every password the pipelines set comes from a secret reference, never a literal.
    const passwordLines = text.split('\n').filter((l) => /TF_VAR_.*_pfx_password.*[:=]/.test(l));
    for (const line of passwordLines) {
      expect(line).toMatch(/(_pfx_password: \$\(\$\{\{ cert\.stem \}\}_pfx_password\)|_pfx_password=\$password")\s*$/);
    }
    // The two files that set passwords must have been looked at, or the loop above proves nothing.
    if (['pipelines/templates/deploy-environment.yml', '.github/workflows/deploy-environment.yml'].includes(file)) expect(passwordLines.length).toBeGreaterThan(0);
  });
});
