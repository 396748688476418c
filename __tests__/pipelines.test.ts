import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { parse, stringify } from 'yaml';
import { EnvironmentStack } from '../constructs/environment-stack';
import { environments } from '../environments';
import { compilePipeline } from './support/azure-template';
import { azurePipelinesValidator } from './support/pipeline-schema';
import { runWorkflowStep } from './support/pipeline-steps';
import { itWith } from './support/required-tools';
import { PROJECT_ROOT } from './support/run-command';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const ADO_FILES = ['pipelines/azure-pipelines.yml', 'pipelines/templates/deploy-environment.yml', 'pipelines/templates/install-terraform.yml'];
const GITHUB_FILES = ['.github/workflows/deploy.yml', '.github/workflows/deploy-environment.yml'];
const SCRIPTS = fs.readdirSync(path.join(PROJECT_ROOT, 'pipelines/scripts')).map((f) => `pipelines/scripts/${f}`);
const SCHEMA = path.resolve(PROJECT_ROOT, '../shared/schemas/azure-pipelines.schema.json');

type Source = 'pfx' | 'pem';
interface PipelineCertificate {
  stem: string;
  source: Source;
}

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

/** Each environment's certificates as a pipeline must hand them over: stem, and the source's format. */
function environmentCertificates(): Map<string, PipelineCertificate[]> {
  return new Map(
    environments.map(({ config }) => [
      config.name,
      config.certificates.map((c) => ({
        stem: c.name.toLowerCase().replace(/-/g, '_'),
        // Read by either name: the environment field that says how a certificate arrives.
        source: ((c as { source?: Source }).source ?? (c as { format?: Source }).format ?? 'pfx') as Source,
      })),
    ]),
  );
}

/** What a step's environment must hold for a certificate: the PFX's path and password, or the PEM's path. */
const stepVariables = (certificates: PipelineCertificate[]) =>
  certificates.flatMap((c) => (c.source === 'pem' ? [`PEM_FILE_${c.stem}`] : [`TF_VAR_${c.stem}_pfx_path`, `TF_VAR_${c.stem}_pfx_password`])).sort();

/** The TF_VAR_ names that reach Terraform from a step's environment: terraform-plan.sh turns PEM_FILE_<stem> into a PFX's two. */
const terraformVariables = (names: string[]) =>
  names.flatMap((n) => (n.startsWith('PEM_FILE_') ? [`TF_VAR_${n.slice(9)}_pfx_path`, `TF_VAR_${n.slice(9)}_pfx_password`] : n.startsWith('TF_VAR_') ? [n] : [])).sort();

const certificateVariable = /^(TF_VAR_|PEM_FILE_)/;

describe('Azure DevOps pipeline', () => {
  const root = parse(read('pipelines/azure-pipelines.yml'));
  const deployStages = root.stages.filter((s: { template?: string }) => s.template === 'templates/deploy-environment.yml');
  const parametersOf = (env: string) => deployStages.find((s: any) => s.parameters.environment === env).parameters;
  // What Azure DevOps runs: the templates expanded for each environment's parameters.
  const compiled = compilePipeline(path.join(PROJECT_ROOT, 'pipelines/azure-pipelines.yml'));
  const stage = (name: string) => compiled.stages.find((s: any) => s.stage === name);
  const planJob = (env: string) => stage(`plan_${env}`).jobs.find((j: any) => j.job === 'plan');
  const applyJob = (env: string) => stage(`apply_${env}`).jobs.find((j: any) => j.deployment === 'apply');
  const applySteps = (env: string) => applyJob(env).strategy.runOnce.deploy.steps;
  const scriptOf = (step: any) => String(step.inputs?.inlineScript ?? step.bash ?? step.script ?? '');
  const indexRunning = (steps: any[], command: string) => steps.findIndex((s) => scriptOf(s).includes(command));
  const planStep = (env: string) => planJob(env).steps.find((s: any) => s.displayName === 'terraform plan');

  // The schema comes with ../shared (CI has it); a user's clone may not, and then there is nothing to check against.
  const withSchema = fs.existsSync(SCHEMA);
  const validator = () => azurePipelinesValidator(SCHEMA);
  const itWithSchema = itWith(withSchema, '../shared/schemas/azure-pipelines.schema.json');
  // Azure DevOps reads every YAML scalar as a string, and the schema says so (timeoutInMinutes: 180 is a
  // string to it); the YAML parser here makes numbers of them.
  const asAzureDevOpsReadsIt = (node: unknown): unknown =>
    typeof node === 'number' ? String(node) : Array.isArray(node) ? node.map(asAzureDevOpsReadsIt) : node && typeof node === 'object' ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, asAzureDevOpsReadsIt(v)])) : node;
  const schemaErrors = (pipeline: unknown) => {
    const validate = validator();
    return validate(asAzureDevOpsReadsIt(pipeline)) ? [] : validate.errors?.filter((e) => !['anyOf', 'oneOf'].includes(e.keyword)).slice(0, 5);
  };

  itWithSchema("azure-pipelines.yml, as written, validates against Microsoft's Azure Pipelines schema", () => {
    const validate = validator();
    expect(validate(root) ? [] : validate.errors?.slice(0, 5)).toEqual([]);
  });

  itWithSchema("the compiled pipeline, with every template expanded, validates against Microsoft's schema", () => {
    expect(schemaErrors(compiled)).toEqual([]);
  });

  itWithSchema('the schema rejects a pipeline with a misspelled keyword (the check has teeth)', () => {
    expect(validator()({ ...root, stagez: root.stages })).toBe(false);
  });

  it('deploys each environment, in the order of environments/index.ts', () => {
    expect(deployStages.map((s: any) => s.parameters.environment)).toEqual(environments.map((e) => e.config.name));
  });

  it("chains the stages: synth, then each environment's plan and apply, the next plan after the previous apply", () => {
    const order = ['synth', ...deployStages.flatMap((s: any) => [`plan_${s.parameters.environment}`, `apply_${s.parameters.environment}`])];
    expect(compiled.stages.map((s: any) => [s.stage, s.dependsOn])).toEqual(order.map((name, i) => [name, i === 0 ? undefined : order[i - 1]]));
  });

  it('plans in a stage without environment or deployment job, so that no approval is asked before a plan exists', () => {
    for (const { config } of environments) {
      const jobs = stage(`plan_${config.name}`).jobs;
      expect([config.name, jobs.map((j: any) => Object.keys(j).filter((k) => ['deployment', 'environment'].includes(k)))]).toEqual([config.name, [[]]]);
      expect(planJob(config.name).timeoutInMinutes).toBe(60);
    }
  });

  it('applies in a stage of its own, after the plan, whose only job is a deployment job with time for an APIM creation', () => {
    for (const { config } of environments) {
      const { dependsOn, jobs } = stage(`apply_${config.name}`);
      expect([config.name, dependsOn, jobs.map((j: any) => j.deployment)]).toEqual([config.name, `plan_${config.name}`, ['apply']]);
      expect(jobs[0].environment).toBe(`apimcert-${config.name}`);
      expect(jobs[0].timeoutInMinutes).toBeGreaterThanOrEqual(120);
      expect(applySteps(config.name)).toContainEqual({ download: 'current', artifact: `plan-${config.name}` });
      expect(indexRunning(applySteps(config.name), 'pipelines/scripts/terraform-apply.sh')).toBeGreaterThan(-1);
    }
    expect(read('pipelines/scripts/terraform-apply.sh')).toMatch(/terraform -chdir="\$stack_dir" apply -input=false -no-color "\$work\/tfplan"/);
  });

  it('gives the apply job no certificate: no secure file, no certificate variable, only the encryption key', () => {
    for (const { config } of environments) {
      const steps = applySteps(config.name);
      expect(steps.filter((s: any) => s.task === 'DownloadSecureFile@1')).toEqual([]);
      const names = steps.flatMap((s: any) => Object.keys(s.env ?? {}));
      expect(names.filter((n: string) => certificateVariable.test(n) || /password/i.test(n))).toEqual([]);
      expect(names).toContain('TF_PLAN_ENCRYPTION_KEY');
    }
  });

  it("hands over each environment's certificates with the source the environment declares", () => {
    for (const [name, certificates] of environmentCertificates()) {
      expect([name, parametersOf(name).certificates.map(({ stem, source }: PipelineCertificate) => ({ stem, source }))]).toEqual([name, certificates]);
    }
  });

  it('maps TF_VAR_<stem>_pfx_path and _pfx_password for a PFX source, and PEM_FILE_<stem> for a PEM source, nothing else', () => {
    for (const { config } of environments) {
      const env = planStep(config.name).env as Record<string, string>;
      const names = Object.keys(env).filter((k) => certificateVariable.test(k)).sort();
      expect([config.name, names]).toEqual([config.name, stepVariables(parametersOf(config.name).certificates)]);
      for (const name of names) {
        const stem = name.replace(/^(TF_VAR_|PEM_FILE_)/, '').replace(/_pfx_(path|password)$/, '');
        expect(env[name]).toBe(name.endsWith('_password') ? `$(${stem}_pfx_password)` : `$(file_${stem}.secureFilePath)`);
      }
    }
  });

  it('brings every variable each stack declares to Terraform, directly for a PFX, through terraform-plan.sh for a PEM', () => {
    const declared = declaredVariables();
    for (const { config } of environments) {
      const names = Object.keys(planStep(config.name).env).filter((k) => certificateVariable.test(k));
      expect([config.name, terraformVariables(names)]).toEqual([config.name, declared.get(config.name)]);
    }
  });

  it('downloads each certificate, in the plan job only, as a secure file named by a compile-time parameter', () => {
    for (const { config } of environments) {
      const downloads = planJob(config.name).steps.filter((s: any) => s.task === 'DownloadSecureFile@1');
      expect(downloads.map((d: any) => [d.name, d.inputs.secureFile])).toEqual(parametersOf(config.name).certificates.map((c: any) => [`file_${c.stem}`, c.secureFile]));
      expect(downloads).toHaveLength(config.certificates.length);
    }
  });

  it('passes only values that exist at run time: secrets from the variable group, secure file paths, system tokens', () => {
    const allowed = /^\$\((System\.AccessToken|System\.OidcRequestUri|TF_PLAN_ENCRYPTION_KEY|\w+_pfx_password|file_\w+\.secureFilePath)\)$/;
    for (const { config } of environments) {
      for (const step of [...planJob(config.name).steps, ...applySteps(config.name)].filter((s: any) => s.env)) {
        for (const [name, value] of Object.entries<string>(step.env)) {
          if (String(value).includes('$(')) expect([name, value]).toEqual([name, expect.stringMatching(allowed)]);
        }
      }
    }
  });

  it('checks the resource providers before the plan', () => {
    for (const { config } of environments) {
      const steps = planJob(config.name).steps;
      const check = indexRunning(steps, 'pipelines/scripts/check-resource-providers.sh');
      expect([config.name, check > -1, check < indexRunning(steps, 'pipelines/scripts/terraform-plan.sh')]).toEqual([config.name, true, true]);
    }
  });

  it("opens the vault's firewall before Terraform in both jobs, in Terraform's own az step, and closes it after, whatever happened", () => {
    for (const { config } of environments) {
      for (const [steps, terraform] of [
        [planJob(config.name).steps, 'pipelines/scripts/terraform-plan.sh'],
        [applySteps(config.name), 'pipelines/scripts/terraform-apply.sh'],
      ] as const) {
        const run = steps[indexRunning(steps, terraform)];
        const open = scriptOf(run).indexOf('pipelines/scripts/vault-network.sh open "$(stackDir)"');
        expect([config.name, terraform, run.task, open > -1, open < scriptOf(run).indexOf(terraform)]).toEqual([config.name, terraform, 'AzureCLI@2', true, true]);
        const close = indexRunning(steps, 'pipelines/scripts/vault-network.sh close "$(stackDir)"');
        expect([config.name, terraform, close > indexRunning(steps, terraform), steps[close]?.task, steps[close]?.condition]).toEqual([config.name, terraform, true, 'AzureCLI@2', 'always()']);
        // The boolean parameter's default, which Azure DevOps renders as True.
        expect([run.env.AGENT_NETWORK_ACCESS, steps[close].env.AGENT_NETWORK_ACCESS].map((v) => String(v).toLowerCase())).toEqual(['true', 'true']);
      }
    }
  });

  it('runs plan and apply on Microsoft-hosted ubuntu-24.04 unless told otherwise', () => {
    for (const { config } of environments) {
      expect([planJob(config.name).pool, applyJob(config.name).pool]).toEqual([{ vmImage: 'ubuntu-24.04' }, { vmImage: 'ubuntu-24.04' }]);
    }
  });

  describe('a team on a Managed DevOps Pool whose egress the vault allows', () => {
    // The same template, used as such a team would: its pool, and no firewall opening.
    let custom: any;
    let jobs: any[];
    beforeAll(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-pipeline-'));
      try {
        const file = path.join(dir, 'azure-pipelines.yml');
        const template = path.join(PROJECT_ROOT, 'pipelines/templates/deploy-environment.yml');
        const parameters = { ...parametersOf(environments[0].config.name), dependsOn: [], pool: { name: 'mdp-apimcert' }, agentNetworkAccess: false };
        fs.writeFileSync(file, stringify({ stages: [{ template, parameters }] }));
        custom = compilePipeline(file);
        jobs = custom.stages.flatMap((s: any) => s.jobs);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs both jobs on its pool', () => {
      expect(jobs.map((j: any) => j.pool)).toEqual([{ name: 'mdp-apimcert' }, { name: 'mdp-apimcert' }]);
    });

    it('tells vault-network.sh, in every step that runs it, to leave the firewall alone', () => {
      const steps = [...jobs[0].steps, ...jobs[1].strategy.runOnce.deploy.steps].filter((s: any) => scriptOf(s).includes('vault-network.sh'));
      expect(steps.map((s: any) => String(s.env.AGENT_NETWORK_ACCESS).toLowerCase())).toEqual(['false', 'false', 'false', 'false']);
    });

    itWithSchema("validates against Microsoft's schema", () => {
      expect(schemaErrors(custom)).toEqual([]);
    });
  });

  it('installs Node 22 to test and synthesize (Node 20 is end-of-life)', () => {
    const node = stage('synth').jobs[0].steps.find((s: any) => s.task === 'NodeTool@0');
    expect(node.inputs.versionSpec).toBe('22.x');
  });
});

describe('GitHub Actions workflows', () => {
  const caller = parse(read('.github/workflows/deploy.yml'));
  const called = parse(read('.github/workflows/deploy-environment.yml'));
  const envJobs = Object.entries<any>(caller.jobs).filter(([, job]) => job.uses === './.github/workflows/deploy-environment.yml');
  const { plan, apply } = called.jobs;
  const stepNamed = (job: any, name: string) => job.steps.find((s: any) => s.name === name);
  const indexRunning = (job: any, command: string) => job.steps.findIndex((s: any) => String(s.run ?? '').includes(command));

  it.each(GITHUB_FILES)('%s passes action-validator', (file) => {
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/action-validator'), [file], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect([result.status, result.stdout]).toEqual([0, '']);
  });

  it('action-validator rejects a broken workflow (the check has teeth)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-'));
    try {
      const broken = path.join(dir, 'broken.yml');
      fs.writeFileSync(broken, read('.github/workflows/deploy.yml').replace('runs-on:', 'runs_on:'));
      const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/action-validator'), [broken], { encoding: 'utf8' });
      expect(result.status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has one job per environment, in order, each after the previous one', () => {
    expect(envJobs.map(([, job]) => job.with.environment)).toEqual(environments.map((e) => e.config.name));
    const order = ['synth', ...envJobs.map(([name]) => name)];
    envJobs.forEach(([, job], i) => expect(job.needs).toBe(order[i]));
  });

  it('plans and applies in separate jobs on separate GitHub environments, the apply after the plan and with time for an APIM creation', () => {
    expect(Object.keys(called.jobs)).toEqual(['plan', 'apply']);
    expect(apply.needs).toBe('plan');
    expect(plan.environment).toBe('${{ inputs.environment }}-plan');
    expect(apply.environment).toBe('${{ inputs.environment }}');
    expect(apply['timeout-minutes']).toBeGreaterThanOrEqual(120);
    expect(plan['timeout-minutes']).toBe(60);
  });

  it('gives the apply job no certificate secret, only the encryption key', () => {
    const text = JSON.stringify(apply);
    expect(text).not.toContain('toJSON(secrets)');
    expect([...new Set(text.match(/secrets\.\w+/g))]).toEqual(['secrets.TF_PLAN_ENCRYPTION_KEY']);
  });

  it('applies the encrypted plan that the plan job uploaded, lock file included', () => {
    const upload = plan.steps.find((s: any) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.with).toMatchObject({ name: 'plan-${{ inputs.environment }}', path: '${{ runner.temp }}/plan', 'include-hidden-files': true });
    expect(apply.steps).toContainEqual({ uses: 'actions/download-artifact@v4', with: { name: 'plan-${{ inputs.environment }}', path: '${{ runner.temp }}/plan' } });
    expect(stepNamed(plan, 'terraform plan').run).toContain('pipelines/scripts/terraform-plan.sh "$STACK_DIR" "$RUNNER_TEMP/plan"');
    expect(stepNamed(apply, 'terraform apply (the reviewed plan)').run).toBe('pipelines/scripts/terraform-apply.sh "$STACK_DIR" "$RUNNER_TEMP/plan"');
  });

  it.each([['plan', 'pipelines/scripts/terraform-plan.sh'], ['apply', 'pipelines/scripts/terraform-apply.sh']])(
    "the %s job opens the vault's firewall before Terraform and closes it, with if: always(), after",
    (name, terraform) => {
      const job = called.jobs[name];
      const [open, run, close] = ['vault-network.sh open "$STACK_DIR"', terraform, 'vault-network.sh close "$STACK_DIR"'].map((c) => indexRunning(job, c));
      expect([open > -1, open < run, run < close]).toEqual([true, true, true]);
      expect(job.steps[close].if).toBe('always()');
      expect(job.env.AGENT_NETWORK_ACCESS).toBe('${{ inputs.agent-network-access }}');
    },
  );

  it('logs in again before closing after an apply, which may outlast the first login', () => {
    const close = indexRunning(apply, 'vault-network.sh close');
    const login = apply.steps.findLastIndex((s: any) => String(s.uses).startsWith('azure/login@'));
    expect([login > indexRunning(apply, 'terraform-apply.sh'), login < close, apply.steps[login].if]).toEqual([true, true, 'always()']);
  });

  it('checks the resource providers before the plan', () => {
    const check = indexRunning(plan, 'pipelines/scripts/check-resource-providers.sh "$STACK_DIR"');
    expect([check > -1, check < indexRunning(plan, 'terraform-plan.sh')]).toEqual([true, true]);
  });

  it('runs on the runs-on input, ubuntu-24.04 unless told otherwise, and opens the firewall unless told otherwise', () => {
    const inputs = called.on.workflow_call.inputs;
    expect([inputs['runs-on'], inputs['agent-network-access']]).toMatchObject([
      { type: 'string', default: 'ubuntu-24.04' },
      { type: 'boolean', default: true },
    ]);
    expect([plan['runs-on'], apply['runs-on']]).toEqual(['${{ inputs.runs-on }}', '${{ inputs.runs-on }}']);
  });

  it('uses OIDC in both jobs, and removes the certificate files whatever happens', () => {
    for (const job of [plan, apply]) {
      expect(job.permissions['id-token']).toBe('write');
      expect(job.steps.some((s: any) => String(s.uses).startsWith('azure/login@'))).toBe(true);
      expect(job.env.ARM_USE_OIDC).toBe('true');
    }
    expect(JSON.stringify(called)).not.toMatch(/client-secret|ARM_CLIENT_SECRET|creds:/);
    expect(stepNamed(plan, 'Remove the certificate files').if).toBe('always()');
  });

  it('installs Node 22 to test and synthesize (Node 20 is end-of-life)', () => {
    expect(caller.jobs.synth.steps.find((s: any) => String(s.uses).startsWith('actions/setup-node@')).with['node-version']).toBe(22);
  });

  describe("the plan job's certificate steps, run for each environment with made-up secrets", () => {
    // The steps run as written, with pipelines/scripts/terraform-plan.sh replaced by one that prints the
    // certificate variables it was given, so that what the scripts set is what is checked.
    let work: string;
    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-certificates-'));
      fs.mkdirSync(path.join(work, 'pipelines/scripts'), { recursive: true });
      fs.writeFileSync(
        path.join(work, 'pipelines/scripts/terraform-plan.sh'),
        '#!/usr/bin/env bash\nfor v in $(compgen -e | grep -E "^(TF_VAR_|PEM_FILE_)" | sort); do echo "$v=${!v}"; done\n',
        { mode: 0o755 },
      );
    });
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    const runFor = (environment: string, certificates: string) => {
      const secrets: Record<string, string> = { TF_PLAN_ENCRYPTION_KEY: 'k'.repeat(48) };
      for (const c of JSON.parse(certificates) as PipelineCertificate[]) {
        const prefix = c.stem.toUpperCase();
        secrets[`${prefix}_${c.source.toUpperCase()}_BASE64`] = Buffer.from(`${c.source} bytes of ${c.stem}`).toString('base64');
        if (c.source === 'pfx') secrets[`${prefix}_PFX_PASSWORD`] = `password of ${c.stem}`;
      }
      const runnerTemp = fs.mkdtempSync(path.join(work, 'runner-'));
      const inputs = { environment, certificates };
      const stepEnv = { CERTIFICATES: certificates, SECRETS_JSON: JSON.stringify(secrets), RUNNER_TEMP: runnerTemp, STACK_DIR: `cdktf.out/stacks/${environment}` };
      const written = runWorkflowStep(stepNamed(plan, 'Write the certificate files').run, { cwd: work, env: stepEnv, inputs });
      const planned = runWorkflowStep(stepNamed(plan, 'terraform plan').run, { cwd: work, env: { ...stepEnv, ...written.githubEnv }, inputs });
      const given = Object.fromEntries(planned.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      return { written, planned, given, secrets };
    };

    it.each(envJobs.map(([, job]) => [job.with.environment, job.with.certificates]))(
      '%s: TF_VAR_<stem>_pfx_path and _pfx_password for a PFX, PEM_FILE_<stem> for a PEM, each file owner-only with the secret bytes',
      (environment, certificates) => {
        const { written, planned, given, secrets } = runFor(environment, certificates);
        expect([written.status, written.stdout, planned.status, planned.stderr]).toEqual([0, '', 0, '']);
        expect(Object.keys(given).sort()).toEqual(stepVariables(JSON.parse(certificates)));
        for (const [name, value] of Object.entries(given)) {
          if (name.endsWith('_pfx_password')) {
            expect(value).toBe(secrets[`${name.slice(7, -13).toUpperCase()}_PFX_PASSWORD`]);
          } else {
            const stem = name.replace(/^(TF_VAR_|PEM_FILE_)/, '').replace(/_pfx_path$/, '');
            const source = name.startsWith('PEM_FILE_') ? 'pem' : 'pfx';
            expect(fs.readFileSync(value, 'utf8')).toBe(`${source} bytes of ${stem}`);
            expect(fs.statSync(value).mode & 0o777).toBe(0o600);
          }
        }
      },
    );

    it("gives each environment's certificates the source the environment declares", () => {
      for (const [, job] of envJobs) {
        expect([job.with.environment, JSON.parse(job.with.certificates)]).toEqual([job.with.environment, environmentCertificates().get(job.with.environment)]);
      }
    });

    it('brings every variable each stack declares to Terraform, directly for a PFX, through terraform-plan.sh for a PEM', () => {
      const declared = declaredVariables();
      for (const [, job] of envJobs) {
        const { given } = runFor(job.with.environment, job.with.certificates);
        expect([job.with.environment, terraformVariables(Object.keys(given))]).toEqual([job.with.environment, declared.get(job.with.environment)]);
      }
    });

    it('names a missing certificate secret, and the environment that lacks it, and stops', () => {
      const stepEnv = { CERTIFICATES: JSON.stringify([{ stem: 'no_such_cert', source: 'pfx' }]), SECRETS_JSON: '{}', RUNNER_TEMP: fs.mkdtempSync(path.join(work, 'runner-')) };
      const result = runWorkflowStep(stepNamed(plan, 'Write the certificate files').run, { cwd: work, env: stepEnv, inputs: { environment: 'unit' } });
      expect([result.status, result.stdout.trim()]).toEqual([1, '::error::secret NO_SUCH_CERT_PFX_BASE64 is missing or not base64 in environment unit-plan']);
    });
  });
});

describe('pipeline files', () => {
  it.each([...ADO_FILES, ...GITHUB_FILES, ...SCRIPTS])('%s holds no password or certificate content', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/-----BEGIN/);
    expect(text).not.toMatch(/[A-Za-z0-9+/]{64,}={0,2}/);
    // Every password the pipelines set comes from a secret reference or a generated value, never a literal.
    const passwordLines = text.split('\n').filter((l) => /TF_VAR_.*_pfx_password.*[:=]/.test(l));
    for (const line of passwordLines) {
      expect(line).toMatch(/(_pfx_password: \$\(\$\{\{ cert\.stem \}\}_pfx_password\)|_pfx_password=\$password")\s*$/);
    }
    // The files that set passwords must have been looked at, or the loop above proves nothing.
    if (['pipelines/templates/deploy-environment.yml', '.github/workflows/deploy-environment.yml', 'pipelines/scripts/terraform-plan.sh'].includes(file)) expect(passwordLines.length).toBeGreaterThan(0);
  });
});
