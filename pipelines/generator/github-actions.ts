import { CONVENTIONS, type PipelineCertificate, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import { SCHEDULE } from './schedule';
import { TOOLCHAIN } from './toolchain';
import { commented, renderYaml, spaced } from './yaml-text';

/** The generated GitHub Actions workflow, relative to the project root. */
export const GITHUB_WORKFLOW_FILE = '.github/workflows/deploy.yml';

const DESCRIPTION = `
Synthesize once, then plan and apply each environment's stack in promotion order, in two jobs each:
plan-<env>, bound to a GitHub environment without reviewers that holds the certificate secrets, and
apply-<env>, bound to the environment whose required reviewers approve once the plan is uploaded (GitHub
applies an environment's protection rules when a job that uses it is about to start). The plan job puts
what each certificate file does to Key Vault (new, unchanged, rotating, with expiry dates) and the plan's
summary on the run's summary page, for the reviewers; the apply job ends by making API Management serve
the new certificates. The certificates travel to the apply inside the encrypted plan
(pipelines/scripts/terraform-plan.sh says why).

The weekly scheduled run holds nothing of that: one expiry-<env> job per environment reports each
certificate's expiry from the stack's state and fails when one expires within ${SCHEDULE.warnDays} days.

Every job names the secrets it reads, each as \${{ secrets.<NAME> }}: GitHub gives an environment's
secrets only to the jobs bound to it, and this workflow hands none on (no \`secrets: inherit\`, no
toJSON(secrets)). Above each plan job: what to create in GitHub for that environment
(docs/deploying.md, "GitHub Actions"). Logins use OIDC (azure/login, id-token: write), never a client
secret.`;

/** The workflow_dispatch input that lets a plan accept a certificate expiring before the one in Key Vault. */
export const ALLOW_EARLIER_EXPIRY_INPUT = 'allow-earlier-expiry';

// Every job runs either on the schedule (the expiry report) or on any other event (synth, plan, apply).
const SCHEDULED = "github.event_name == 'schedule'";
const NOT_SCHEDULED = "github.event_name != 'schedule'";

/** .github/workflows/deploy.yml for the environments, given in promotion order. */
export function githubWorkflow(environments: readonly PipelineEnvironment[]): string {
  const jobs: Record<string, unknown> = { synth: synthJob() };
  let previous = 'synth';
  for (const env of environments) {
    jobs[planJobId(env)] = spaced(planJob(env, previous), whatToCreate(env));
    jobs[applyJobId(env)] = spaced(applyJob(env));
    previous = applyJobId(env);
  }
  environments.forEach((env, i) => {
    const comment = i === 0 ? 'The weekly expiry report: on the schedule only, one job per environment, all at once, each on the plan\'s\nGitHub environment (its federated credential and variables; it reads no secret).' : undefined;
    jobs[expiryJobId(env)] = spaced(expiryJob(env), comment);
  });
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}`, {
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
        },
      },
      schedule: [{ cron: SCHEDULE.cron }],
    }),
    permissions: spaced({ contents: 'read' }),
    concurrency: spaced(
      commented(
        "Deployments queue behind one another; the report has a group of its own, so that a scheduled run never\ncancels a deployment waiting for its reviewers (GitHub keeps one pending run per group) nor waits for one.",
        { group: `\${{ ${SCHEDULED} && 'expiry-report' || 'deploy' }}`, 'cancel-in-progress': false },
      ),
    ),
    jobs: spaced(jobs),
  });
}

export const planJobId = (env: PipelineEnvironment) => `plan-${env.name}`;
export const applyJobId = (env: PipelineEnvironment) => `apply-${env.name}`;
export const expiryJobId = (env: PipelineEnvironment) => `expiry-${env.name}`;

const secret = (name: string) => `\${{ secrets.${name} }}`;
const STACK_DIR = '"$STACK_DIR"';
const PLAN_DIR = '"$RUNNER_TEMP/plan"';

function synthJob() {
  return {
    if: NOT_SCHEDULED,
    'runs-on': 'ubuntu-24.04',
    steps: [
      { uses: 'actions/checkout@v4' },
      { uses: 'actions/setup-node@v4', with: { 'node-version': TOOLCHAIN.node, cache: 'npm' } },
      { run: 'npm ci --no-audit --no-fund' },
      { run: 'npm test' },
      { run: 'npm run synth' },
      { uses: 'actions/upload-artifact@v4', with: { name: 'cdktf-out', path: 'cdktf.out', 'include-hidden-files': true } },
    ],
  };
}

/** What the plan and the apply job share: runner, OIDC permission, Azure identity, stack, firewall switch. */
function jobBase(env: PipelineEnvironment) {
  return {
    'runs-on': env.github.runsOn,
    permissions: { contents: 'read', 'id-token': 'write' },
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

/** Checkout, Node, the synthesized stacks (and `downloads`), Terraform, and the Azure login. */
const setupSteps = (downloads: unknown[]) => [
  { uses: 'actions/checkout@v4' },
  commented('Node runs pipelines/scripts/plan-seal.js (plan and apply) and scripts/cert-rotation.ts (plan); a\nself-hosted runner may have none.', {
    uses: 'actions/setup-node@v4',
    with: { 'node-version': TOOLCHAIN.node },
  }),
  { uses: 'actions/download-artifact@v4', with: { name: 'cdktf-out', path: 'cdktf.out' } },
  ...downloads,
  { uses: 'hashicorp/setup-terraform@v3', with: { terraform_version: TOOLCHAIN.terraform, terraform_wrapper: false } },
  azureLogin(),
];

function azureLogin(condition?: string) {
  return {
    uses: 'azure/login@v2',
    ...(condition ? { if: condition } : {}),
    with: { 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
  };
}

/**
 * Shell lines that stop the step, naming each missing secret and the GitHub environment that lacks it:
 * a secret an environment does not have reaches the step as an empty string. `checks` pairs the step's
 * variable with the secret it comes from.
 */
function requireSecrets(githubEnvironment: string, checks: readonly (readonly [variable: string, secretName: string])[]): string[] {
  return [
    '# A secret the GitHub environment lacks arrives as an empty string: name each one before anything runs.',
    'missing=()',
    ...checks.map(([variable, name]) => `[ -n "\${${variable}:-}" ] || missing+=(${name})`),
    'if [ "${#missing[@]}" -gt 0 ]; then',
    `  echo "::error::GitHub environment ${githubEnvironment} lacks the secrets \${missing[*]}"`,
    '  exit 1',
    'fi',
  ];
}

const fileVariable = (c: PipelineCertificate) => (c.format === 'pem' ? `PEM_FILE_${c.stem}` : `TF_VAR_${c.stem}_pfx_path`);

function writeCertificatesStep(env: PipelineEnvironment) {
  const planEnvironment = env.github.planEnvironment;
  return commented('Only this step and the plan step read certificate secrets, each one by name; neither echoes them.', {
    name: 'Write the certificate files',
    env: Object.fromEntries(env.certificates.map((c) => [c.githubSecrets.file, secret(c.githubSecrets.file)])),
    run: [
      'set -euo pipefail',
      'umask 077',
      'mkdir -p "$RUNNER_TEMP/certificates"',
      '# write_certificate SECRET FILE VARIABLE: the base64 secret decoded into $RUNNER_TEMP/certificates/FILE',
      '# (owner-only), named to the later steps as VARIABLE. A missing secret arrives as an empty string.',
      'failed=0',
      'write_certificate() {',
      '  local file="$RUNNER_TEMP/certificates/$2"',
      '  if [ -n "${!1:-}" ] && base64 -d <<<"${!1}" >"$file" 2>/dev/null && [ -s "$file" ]; then',
      '    echo "$3=$file" >>"$GITHUB_ENV"',
      '  else',
      `    echo "::error::secret $1 is missing or not base64 in GitHub environment ${planEnvironment}"`,
      '    failed=1',
      '  fi',
      '}',
      ...env.certificates.map((c) => `write_certificate ${c.githubSecrets.file} ${c.stem}.${c.format} ${fileVariable(c)}`),
      'exit "$failed"',
      '',
    ].join('\n'),
  });
}

function planJob(env: PipelineEnvironment, needs: string) {
  const base = jobBase(env);
  const pfx = env.certificates.filter((c) => c.githubSecrets.password !== undefined);
  const hasCertificates = env.certificates.length > 0;
  return {
    name: `Plan ${env.name}`,
    needs,
    if: NOT_SCHEDULED,
    'runs-on': base['runs-on'],
    environment: env.github.planEnvironment,
    'timeout-minutes': 60,
    permissions: base.permissions,
    env: base.env,
    steps: [
      ...setupSteps([]),
      runtimeDependencies('terraform-plan.sh runs scripts/cert-rotation.ts before the plan.'),
      { name: 'Check resource providers', run: `pipelines/scripts/check-resource-providers.sh ${STACK_DIR}` },
      ...(hasCertificates ? [writeCertificatesStep(env)] : []),
      commented("A step of its own: azure/login's session lasts the whole job, and a watcher left for a vault that\ndoes not exist yet keeps using it.", {
        name: "Open the vault's firewall to this runner",
        run: `pipelines/scripts/vault-network.sh open ${STACK_DIR}`,
      }),
      {
        name: 'terraform plan',
        env: {
          [CONVENTIONS.planEncryptionKey]: secret(CONVENTIONS.planEncryptionKey),
          ...Object.fromEntries(pfx.map((c) => [`TF_VAR_${c.stem}_pfx_password`, secret(c.githubSecrets.password as string)])),
          // true, false, or nothing on a push; terraform-plan.sh takes true as 1.
          ALLOW_EARLIER_EXPIRY: `\${{ inputs.${ALLOW_EARLIER_EXPIRY_INPUT} }}`,
        },
        run: [
          'set -euo pipefail',
          ...requireSecrets(env.github.planEnvironment, [
            [CONVENTIONS.planEncryptionKey, CONVENTIONS.planEncryptionKey],
            ...pfx.map((c) => [`TF_VAR_${c.stem}_pfx_password`, c.githubSecrets.password as string] as const),
          ]),
          `pipelines/scripts/terraform-plan.sh ${STACK_DIR} ${PLAN_DIR}`,
          '',
        ].join('\n'),
      },
      commented("Runs on failure and cancellation too, so that the runner's address never stays in the rules.", {
        name: "Close the vault's firewall to this runner",
        if: 'always()',
        run: `pipelines/scripts/vault-network.sh close ${STACK_DIR}`,
      }),
      ...(hasCertificates ? [{ name: 'Remove the certificate files', if: 'always()', run: 'rm -rf "$RUNNER_TEMP/certificates"' }] : []),
      commented(
        'What the reviewers of the apply read before approving; also after a refused rotation, whose table says why.',
        publishSummary('Show the rotation and the plan on the summary page', '$RUNNER_TEMP/plan/summary.md'),
      ),
      {
        uses: 'actions/upload-artifact@v4',
        with: {
          name: `plan-${env.name}`,
          path: '${{ runner.temp }}/plan',
          'include-hidden-files': commented('.terraform.lock.hcl, so that the apply uses the provider builds the plan was made with.', true),
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
    permissions: base.permissions,
    env: base.env,
    steps: [
      ...setupSteps([{ uses: 'actions/download-artifact@v4', with: { name: `plan-${env.name}`, path: '${{ runner.temp }}/plan' } }]),
      { name: "Open the vault's firewall to this runner", run: `pipelines/scripts/vault-network.sh open ${STACK_DIR}` },
      {
        name: 'terraform apply (the reviewed plan)',
        env: { [CONVENTIONS.planEncryptionKey]: secret(CONVENTIONS.planEncryptionKey) },
        run: [
          'set -euo pipefail',
          ...requireSecrets(env.github.environment, [[CONVENTIONS.planEncryptionKey, CONVENTIONS.planEncryptionKey]]),
          `pipelines/scripts/terraform-apply.sh ${STACK_DIR} ${PLAN_DIR}`,
          '',
        ].join('\n'),
      },
      commented("az's OIDC login cannot renew itself, and may not outlive a long apply: log in afresh for what follows.", azureLogin('always()')),
      commented("Only after a successful apply, and before the firewall closes: it reads Key Vault's data plane.", {
        name: "APIM serves Key Vault's current certificates",
        run: `pipelines/scripts/apim-refresh.sh ${STACK_DIR}`,
      }),
      commented("Runs on failure, timeout and cancellation too, so that the runner's address never stays in the rules.", {
        name: "Close the vault's firewall to this runner",
        if: 'always()',
        run: `pipelines/scripts/vault-network.sh close ${STACK_DIR}`,
      }),
    ],
  };
}

/**
 * The weekly expiry report of one environment: synthesizes its stack itself (the scheduled run has no synth
 * job), reads the state with the plan's identity and reports with scripts/cert-report.ts. No secret, no
 * certificate, no Key Vault data plane (so no firewall opening): state read access is all it needs.
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
    // The vault's firewall is none of its business: no AGENT_NETWORK_ACCESS.
    env: { ...Object.fromEntries(Object.entries(base.env).filter(([name]) => name !== 'AGENT_NETWORK_ACCESS')), EXPIRY_WARN_DAYS: String(SCHEDULE.warnDays) },
    steps: [
      { uses: 'actions/checkout@v4' },
      { uses: 'actions/setup-node@v4', with: { 'node-version': TOOLCHAIN.node } },
      runtimeDependencies('synth and scripts/cert-report.ts need no more.'),
      { name: 'npm run synth', run: 'npm run synth' },
      { uses: 'hashicorp/setup-terraform@v3', with: { terraform_version: TOOLCHAIN.terraform, terraform_wrapper: false } },
      azureLogin(),
      { name: 'Certificate expiry report', run: `pipelines/scripts/expiry-report.sh ${STACK_DIR} "$RUNNER_TEMP/expiry-report.md"` },
      commented('Also when the report failed the job: that is when someone needs to read it.', publishSummary('Show the report on the summary page', '$RUNNER_TEMP/expiry-report.md')),
    ],
  };
}

const runtimeDependencies = (why: string) =>
  commented(`The runtime dependencies only: ${why}`, { name: 'npm ci (runtime dependencies)', run: 'npm ci --omit=dev --no-audit --no-fund' });

/** A step that appends a Markdown file, when a step before it wrote one, to the run's summary page. */
const publishSummary = (name: string, file: string) => ({
  name,
  if: 'always()',
  run: `if [ -s "${file}" ]; then cat "${file}" >>"$GITHUB_STEP_SUMMARY"; fi`,
});

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
