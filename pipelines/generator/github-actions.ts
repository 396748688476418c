import { CONVENTIONS, type PipelineCertificate, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import { TOOLCHAIN } from './toolchain';
import { commented, renderYaml, spaced } from './yaml-text';

/** The generated GitHub Actions workflow, relative to the project root. */
export const GITHUB_WORKFLOW_FILE = '.github/workflows/deploy.yml';

const DESCRIPTION = `
Synthesize once, then plan and apply each environment's stack in promotion order, in two jobs each:
plan-<env>, bound to a GitHub environment without reviewers that holds the certificate secrets, and
apply-<env>, bound to the environment whose required reviewers approve once the plan is uploaded (GitHub
applies an environment's protection rules when a job that uses it is about to start). The certificates
travel to the apply inside the encrypted plan (pipelines/scripts/terraform-plan.sh says why).

Every job names the secrets it reads, each as \${{ secrets.<NAME> }}: GitHub gives an environment's
secrets only to the jobs bound to it, and this workflow hands none on (no \`secrets: inherit\`, no
toJSON(secrets)). Above each plan job: what to create in GitHub for that environment
(docs/deploying.md, "GitHub Actions"). Logins use OIDC (azure/login, id-token: write), never a client
secret.`;

/** .github/workflows/deploy.yml for the environments, given in promotion order. */
export function githubWorkflow(environments: readonly PipelineEnvironment[]): string {
  const jobs: Record<string, unknown> = { synth: synthJob() };
  let previous = 'synth';
  for (const env of environments) {
    jobs[planJobId(env)] = spaced(planJob(env, previous), whatToCreate(env));
    jobs[applyJobId(env)] = spaced(applyJob(env));
    previous = applyJobId(env);
  }
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}`, {
    name: 'deploy',
    on: spaced({ push: { branches: ['main'] }, workflow_dispatch: null }),
    permissions: spaced({ contents: 'read' }),
    concurrency: spaced({ group: 'deploy', 'cancel-in-progress': false }),
    jobs: spaced(jobs),
  });
}

export const planJobId = (env: PipelineEnvironment) => `plan-${env.name}`;
export const applyJobId = (env: PipelineEnvironment) => `apply-${env.name}`;

const secret = (name: string) => `\${{ secrets.${name} }}`;
const STACK_DIR = '"$STACK_DIR"';
const PLAN_DIR = '"$RUNNER_TEMP/plan"';

function synthJob() {
  return {
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
  commented('pipelines/scripts/plan-seal.js seals and opens the plan; a self-hosted runner may have no Node.', {
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
    'runs-on': base['runs-on'],
    environment: env.github.planEnvironment,
    'timeout-minutes': 60,
    permissions: base.permissions,
    env: base.env,
    steps: [
      ...setupSteps([]),
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
      commented("az's OIDC login cannot renew itself, and may not outlive a long apply: close logs in afresh.", azureLogin('always()')),
      commented("Runs on failure, timeout and cancellation too, so that the runner's address never stays in the rules.", {
        name: "Close the vault's firewall to this runner",
        if: 'always()',
        run: `pipelines/scripts/vault-network.sh close ${STACK_DIR}`,
      }),
    ],
  };
}

/** The comment above an environment's plan job: where it comes from, and what must exist in GitHub. */
function whatToCreate(env: PipelineEnvironment): string {
  const { environment, planEnvironment } = env.github;
  const certificateSecrets = env.certificates.flatMap((c) => [c.githubSecrets.file, ...(c.githubSecrets.password ? [c.githubSecrets.password] : [])]);
  return [
    `${env.name} (${env.file}, order ${env.order}). In GitHub:`,
    `  environment ${planEnvironment} (no reviewers): secrets ${[CONVENTIONS.planEncryptionKey, ...certificateSecrets].join(', ')}`,
    `  environment ${environment} (required reviewers): secret ${CONVENTIONS.planEncryptionKey}`,
    `  both: variables ${CONVENTIONS.github.azureVariables.join(', ')}, and a federated credential each`,
    `  (subject repo:<owner>/<repo>:environment:${planEnvironment}, and :environment:${environment})`,
  ].join('\n');
}
