import { agentRequirements } from './agent-requirements';
import { CONVENTIONS, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import type { PipelineSettings } from './pipeline-settings';
import { SCHEDULE } from './schedule';
import { ACTIONS, TOOLCHAIN, uses } from './toolchain';
import { commented, renderYaml, spaced } from './yaml-text';

/** The generated GitHub Actions workflows, relative to the project root. */
export const GITHUB_WORKFLOW_FILE = '.github/workflows/deploy.yml';
export const GITHUB_VALIDATION_FILE = '.github/workflows/validate.yml';

const DESCRIPTION = `
Synthesize once, then plan and apply each environment's stack in promotion order, in two jobs each:
plan-<env>, bound to a GitHub environment without reviewers that holds the certificate secrets, and
apply-<env>, bound to the environment whose required reviewers approve once the plan is uploaded (GitHub
applies an environment's protection rules when a job that uses it is about to start). The apply job
first checks that its environment has a required reviewer (GitHub offers them on private and internal
repositories with Enterprise only) and stops otherwise. The plan job puts what each certificate file
does to Key Vault (new, unchanged, rotating, refused), the vault firewall rules the apply will change and
the plan's summary on the run's summary page, for the reviewers; the apply job ends by making API
Management serve the new certificates. The certificates travel to the apply inside the sealed plan
(operations/plan-stack.ts says why). Every job that opens a vault's firewall is in that vault's concurrency
group: runs take turns on it.

The weekly scheduled run holds nothing of that: one expiry-<env> job per environment reports each
certificate's expiry from Azure as it is now and fails when one expires within the environment's
expiryWarnings.daysBeforeExpiry (default 30) days.

Every job names the secrets it reads, each as \${{ secrets.<NAME> }}: GitHub gives an environment's
secrets only to the jobs bound to it, and this workflow hands none on (no \`secrets: inherit\`, no
toJSON(secrets)). Above each plan job: what to create in GitHub for that environment
(docs/deploying.md, "GitHub Actions"). Logins use OIDC (azure/login, id-token: write), never a client
secret. Actions are pinned by commit (pipelines/generator/toolchain.ts).`;

/** The workflow_dispatch inputs that let a plan accept an earlier expiry, or a policy change of named certificates. */
export const ALLOW_EARLIER_EXPIRY_INPUT = 'allow-earlier-expiry';
export const ALLOW_POLICY_CHANGE_INPUT = 'allow-policy-change';

// Every job runs either on the schedule (the expiry report) or on any other event (synth, plan, apply).
const SCHEDULED = "github.event_name == 'schedule'";
const NOT_SCHEDULED = "github.event_name != 'schedule'";

/** .github/workflows/deploy.yml for the environments, given in promotion order. */
export function githubWorkflow(environments: readonly PipelineEnvironment[], settings: PipelineSettings): string {
  const jobs: Record<string, unknown> = { synth: synthJob(settings, true) };
  let previous = 'synth';
  for (const env of environments) {
    jobs[planJobId(env)] = spaced(planJob(env, previous), whatToCreate(env));
    jobs[applyJobId(env)] = spaced(applyJob(env));
    previous = applyJobId(env);
  }
  environments.forEach((env, i) => {
    const comment = i === 0 ? "The weekly expiry report: on the schedule only, one job per environment, each on the plan's\nGitHub environment (its federated credential and variables; it reads no secret)." : undefined;
    jobs[expiryJobId(env)] = spaced(expiryJob(env), comment);
  });
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}\n\n${agentRequirements('github', environments)}`, {
    name: 'deploy',
    on: spaced({
      push: { branches: ['main'] },
      workflow_dispatch: {
        inputs: {
          [ALLOW_EARLIER_EXPIRY_INPUT]: commented('Per run, never stored: going back to an older certificate is decided once, not for good.', {
            description: 'Allow a certificate that expires before the one in Key Vault (ALLOW_EARLIER_EXPIRY)',
            type: 'boolean',
            default: false,
          }),
          [ALLOW_POLICY_CHANGE_INPUT]: commented("Per run: azurerm then has Key Vault generate a new key (docs/constructs.md, \"Changing a certificate's key\").", {
            description: 'Certificates whose Key Vault policy may change (comma-separated names; ALLOW_POLICY_CHANGE)',
            type: 'string',
            default: '',
          }),
        },
      },
      schedule: [{ cron: SCHEDULE.cron }],
    }),
    permissions: spaced({ contents: 'read' }),
    concurrency: spaced(
      commented(
        'Deployments queue behind one another; the report has a group of its own, so that a scheduled run never\ncancels a deployment waiting for its reviewers (GitHub keeps one pending run per group) nor waits for one.',
        { group: `\${{ ${SCHEDULED} && 'expiry-report' || 'deploy' }}`, 'cancel-in-progress': false },
      ),
    ),
    jobs: spaced(jobs),
  });
}

/** .github/workflows/validate.yml: test, synthesize and validate every pull request, with no secret and no environment. */
export function githubValidationWorkflow(settings: PipelineSettings): string {
  return renderYaml(
    `${generatedHeader()}

Pull-request validation: npm test, synth and Terraform's validation of every stack against the registry's
providers, with no secret, no environment and read-only permissions, so a broken environment file is
caught before it merges (make it a required status check of main).`,
    {
      name: 'validate',
      on: spaced({ pull_request: { branches: ['main'] } }),
      permissions: spaced({ contents: 'read' }),
      jobs: spaced({ validate: synthJob(settings, false) }),
    },
  );
}

export const planJobId = (env: PipelineEnvironment) => `plan-${env.name}`;
export const applyJobId = (env: PipelineEnvironment) => `apply-${env.name}`;
export const expiryJobId = (env: PipelineEnvironment) => `expiry-${env.name}`;

const secret = (name: string) => `\${{ secrets.${name} }}`;
const STEP = 'node scripts/run.js scripts/pipeline-step.ts';
const STACK_DIR = '"$STACK_DIR"';
const PLAN_DIR = '"$RUNNER_TEMP/plan"';

function synthJob(settings: PipelineSettings, publish: boolean) {
  return {
    ...(publish ? { if: NOT_SCHEDULED } : {}),
    'runs-on': settings.github?.synthRunsOn ?? CONVENTIONS.github.runsOn,
    steps: [
      { uses: uses(ACTIONS.checkout) },
      { uses: uses(ACTIONS.setupNode), with: { 'node-version': TOOLCHAIN.node, cache: 'npm' } },
      { run: 'npm ci --no-audit --no-fund' },
      { run: 'npm test' },
      { run: 'npm run synth' },
      { uses: uses(ACTIONS.setupTerraform), with: { terraform_version: TOOLCHAIN.terraform, terraform_wrapper: false } },
      commented("Terraform's own validation of every stack against the real providers, from the registry.", { run: 'npm run validate' }),
      ...(publish ? [{ uses: uses(ACTIONS.uploadArtifact), with: { name: 'cdktf-out', path: 'cdktf.out', 'include-hidden-files': true } }] : []),
    ],
  };
}

/** What the plan, apply and report jobs share: runner, OIDC permission, Azure identity, stack, firewall switch, vault lock. */
function jobBase(env: PipelineEnvironment) {
  return {
    'runs-on': env.github.runsOn,
    permissions: { contents: 'read', 'id-token': 'write' },
    // Every job that opens this vault's firewall takes its turn: one job's close never removes a rule
    // another job on the same egress address still needs, and the apply's convergence of the configured
    // rules never removes another job's temporary rule.
    concurrency: { group: `apimcert-vault-${env.keyVault.replace('/', '-')}`, 'cancel-in-progress': false },
    env: {
      ARM_USE_OIDC: 'true',
      ARM_CLIENT_ID: '${{ vars.AZURE_CLIENT_ID }}',
      ARM_TENANT_ID: '${{ vars.AZURE_TENANT_ID }}',
      ARM_SUBSCRIPTION_ID: '${{ vars.AZURE_SUBSCRIPTION_ID }}',
      STACK_DIR: `cdktf.out/stacks/${env.name}`,
      AGENT_NETWORK_ACCESS: String(env.github.agentNetworkAccess),
    },
  };
}

/** Checkout, Node and the runtime dependencies (the steps are the project's own Node commands). */
const nodeSteps = () => [
  { uses: uses(ACTIONS.checkout) },
  { uses: uses(ACTIONS.setupNode), with: { 'node-version': TOOLCHAIN.node } },
  { name: 'npm ci (runtime dependencies)', run: 'npm ci --omit=dev --no-audit --no-fund' },
];

/** The synthesized stacks (and `downloads`), Terraform, and the Azure login. */
const setupSteps = (downloads: unknown[]) => [
  { uses: uses(ACTIONS.downloadArtifact), with: { name: 'cdktf-out', path: 'cdktf.out' } },
  ...downloads,
  { uses: uses(ACTIONS.setupTerraform), with: { terraform_version: TOOLCHAIN.terraform, terraform_wrapper: false } },
  azureLogin(),
];

function azureLogin(condition?: string) {
  return {
    uses: uses(ACTIONS.azureLogin),
    ...(condition ? { if: condition } : {}),
    with: { 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
  };
}

/** "stem=PREFIX,...": which GitHub secrets hold each certificate, for the plan step's messages and reads. */
const secretMap = (env: PipelineEnvironment) => env.certificates.map((c) => `${c.stem}=${c.githubSecrets.file.replace(/_(PFX|PEM)_BASE64$/, '')}`).join(',');

function planJob(env: PipelineEnvironment, needs: string) {
  const base = jobBase(env);
  return {
    name: `Plan ${env.name}`,
    needs,
    if: NOT_SCHEDULED,
    'runs-on': base['runs-on'],
    environment: env.github.planEnvironment,
    'timeout-minutes': 60,
    permissions: base.permissions,
    concurrency: base.concurrency,
    env: base.env,
    steps: [
      ...nodeSteps(),
      ...setupSteps([]),
      commented(
        "Resource providers, this runner through the vault's firewall, the rotation review, terraform plan, the\nseal and the summary page (also when the review refuses). Only this step reads certificate secrets, each\nby name; nothing of them is written but the private copy Terraform reads.",
        {
          name: 'terraform plan',
          env: {
            [CONVENTIONS.planEncryptionKey]: secret(CONVENTIONS.planEncryptionKey),
            APIMCERT_GITHUB_SECRETS: secretMap(env),
            APIMCERT_GITHUB_ENVIRONMENT: env.github.planEnvironment,
            ...Object.fromEntries(env.certificates.flatMap((c) => [[c.githubSecrets.file, secret(c.githubSecrets.file)], ...(c.githubSecrets.password ? [[c.githubSecrets.password, secret(c.githubSecrets.password)]] : [])])),
            // true, false, or nothing on a push; the step takes true as 1.
            ALLOW_EARLIER_EXPIRY: `\${{ inputs.${ALLOW_EARLIER_EXPIRY_INPUT} }}`,
            ALLOW_POLICY_CHANGE: `\${{ inputs.${ALLOW_POLICY_CHANGE_INPUT} }}`,
          },
          run: `${STEP} plan ${STACK_DIR} ${PLAN_DIR}`,
        },
      ),
      commented("Runs on failure and cancellation too, so that the runner's address never stays in the rules.", {
        name: "Close the vault's firewall to this runner",
        if: 'always()',
        run: `${STEP} close-firewall ${STACK_DIR}`,
      }),
      {
        uses: uses(ACTIONS.uploadArtifact),
        with: {
          name: `plan-${env.name}`,
          path: '${{ runner.temp }}/plan',
          'if-no-files-found': 'error',
        },
      },
    ],
  };
}

function applyJob(env: PipelineEnvironment) {
  const base = jobBase(env);
  return {
    name: `Apply ${env.name}`,
    needs: planJobId(env),
    if: NOT_SCHEDULED,
    'runs-on': base['runs-on'],
    environment: env.github.environment,
    'timeout-minutes': commented(
      'Room for a classic-tier APIM creation (30-45 minutes) plus the RBAC waits, since a killed apply leaves\nthe state\'s lease held; and well short of the default six hours that a hung apply would hold it.',
      180,
    ),
    // actions: read lets the job read its own environment's protection rules (the reviewers check).
    permissions: { ...base.permissions, actions: 'read' },
    concurrency: base.concurrency,
    env: base.env,
    steps: [
      ...nodeSteps(),
      commented('Before anything touches Azure: an environment without a required reviewer is no gate, so the job stops.', {
        name: 'The apply environment has a required reviewer',
        env: {
          GITHUB_TOKEN: '${{ github.token }}',
          APPLY_ENVIRONMENT: env.github.environment,
          ...(env.github.allowUnreviewedApply ? { ALLOW_UNREVIEWED_APPLY: env.github.allowUnreviewedApply } : {}),
        },
        run: `${STEP} require-reviewers`,
      }),
      ...setupSteps([{ uses: uses(ACTIONS.downloadArtifact), with: { name: `plan-${env.name}`, path: '${{ runner.temp }}/plan' } }]),
      {
        name: 'terraform apply (the approved plan)',
        env: { [CONVENTIONS.planEncryptionKey]: secret(CONVENTIONS.planEncryptionKey) },
        run: `${STEP} apply ${STACK_DIR} ${PLAN_DIR}`,
      },
      commented("az's OIDC login cannot renew itself, and may not outlive a long apply: log in afresh for what follows.", azureLogin('always()')),
      commented("Only after a successful apply, and before the firewall closes: it reads Key Vault's data plane.", {
        name: "APIM serves Key Vault's current certificates",
        run: `${STEP} apim-refresh ${STACK_DIR}`,
      }),
      commented("Runs on failure, timeout and cancellation too, so that the runner's address never stays in the rules.", {
        name: "Close the vault's firewall to this runner",
        if: 'always()',
        run: `${STEP} close-firewall ${STACK_DIR}`,
      }),
    ],
  };
}

/**
 * The weekly expiry report of one environment: synthesizes its stack itself (the scheduled run has no synth
 * job) and reads Key Vault and APIM as they are now with the plan's identity. No secret and no certificate.
 */
function expiryJob(env: PipelineEnvironment) {
  const base = jobBase(env);
  return {
    name: `Certificate expiry ${env.name}`,
    if: SCHEDULED,
    'runs-on': base['runs-on'],
    environment: env.github.planEnvironment,
    'timeout-minutes': 30,
    permissions: base.permissions,
    concurrency: base.concurrency,
    env: base.env,
    steps: [
      ...nodeSteps(),
      { name: 'npm run synth', run: 'npm run synth' },
      azureLogin(),
      commented('The report is on the summary page also when it fails the job: that is when someone needs to read it.', {
        name: 'Certificate expiry report',
        run: `${STEP} expiry-report ${STACK_DIR} "$RUNNER_TEMP/expiry-report.md"`,
      }),
      { name: "Close the vault's firewall to this runner", if: 'always()', run: `${STEP} close-firewall ${STACK_DIR}` },
    ],
  };
}

/** The comment above an environment's plan job: where it comes from, and what must exist in GitHub. */
function whatToCreate(env: PipelineEnvironment): string {
  const { environment, planEnvironment } = env.github;
  const certificateSecrets = env.certificates.flatMap((c) => [c.githubSecrets.file, ...(c.githubSecrets.password ? [c.githubSecrets.password] : [])]);
  return [
    `${env.name} (${env.file}, order ${env.order}). In GitHub:`,
    `  environment ${planEnvironment} (no reviewers, deployment branches: main only): secrets ${[CONVENTIONS.planEncryptionKey, ...certificateSecrets].join(', ')}`,
    `  environment ${environment} (required reviewers, deployment branches: main only): secret ${CONVENTIONS.planEncryptionKey}`,
    `  (main only: otherwise a workflow on any branch could bind ${planEnvironment}, read the certificates and log in unreviewed)`,
    `  both: variables ${CONVENTIONS.github.azureVariables.join(', ')}, and a federated credential each`,
    `  (subject repo:<owner>/<repo>:environment:${planEnvironment}, and :environment:${environment})`,
  ].join('\n');
}
