import { CONVENTIONS, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import { agentRequirements } from './agent-requirements';
import type { PipelineSettings } from './pipeline-settings';
import { SCHEDULE } from './schedule';
import { TOOLCHAIN } from './toolchain';
import { commented, renderYaml, spaced } from './yaml-text';

/** The generated Azure DevOps pipeline, relative to the project root. */
export const AZURE_PIPELINE_FILE = 'pipelines/azure-pipelines.yml';
/** The generated pull-request validation pipeline (for a Build validation branch policy). */
export const AZURE_VALIDATION_FILE = 'pipelines/azure-pipelines-validate.yml';

/** The run-time parameters that let a plan accept an earlier expiry, or a policy change of named certificates. */
export const ALLOW_EARLIER_EXPIRY_PARAMETER = 'allowEarlierExpiry';
export const ALLOW_POLICY_CHANGE_PARAMETER = 'allowPolicyChange';

// Compile-time: a scheduled run holds only the report stages, every other run only synth, plan and apply.
// A stage left out by its template is never asked for an approval, which a stage skipped by a run-time
// condition may still be; and what runs is visible in the compiled YAML.
const SCHEDULED = "${{ eq(variables['Build.Reason'], 'Schedule') }}";
const NOT_SCHEDULED = "${{ ne(variables['Build.Reason'], 'Schedule') }}";

const DESCRIPTION = `
Synthesize once (templates/synth.yml), then plan and apply each environment's stack in promotion order
(templates/deploy-environment.yml, two stages per environment): the plan puts what each certificate file
does to Key Vault (new, unchanged, rotating, refused), the vault firewall rules the apply will change and
the plan's summary on the run's summary page, the apply waits for the approvals of its Azure DevOps
environment once the plan is published, then makes API Management serve the new certificates, and the
next environment's plan waits for that apply. Above each environment: what to create in Azure DevOps for
it (docs/deploying.md, "Azure DevOps").

The weekly scheduled run holds nothing of that: one stage per environment (templates/expiry-report.yml)
reports each certificate's expiry from Azure as it is now, and fails when one expires within the
environment's expiryWarnings.daysBeforeExpiry (default 30) days.`;

/** pipelines/azure-pipelines.yml for the environments, given in promotion order. */
export function azurePipeline(environments: readonly PipelineEnvironment[], settings: PipelineSettings): string {
  const stages: unknown[] = [
    { template: 'templates/synth.yml', parameters: { terraformVersion: TOOLCHAIN.terraform, nodeVersion: TOOLCHAIN.node, pool: synthPool(settings), enabled: NOT_SCHEDULED } },
  ];
  let previous = 'synth';
  for (const env of environments) {
    stages.push(spaced(deployStages(env, previous), whatToCreate(env)));
    previous = `apply_${env.stageId}`;
  }
  environments.forEach((env, i) => {
    const comment = i === 0 ? 'The weekly expiry report: on the scheduled run only, one stage per environment, all at once.' : undefined;
    stages.push(spaced(expiryReportStage(env), comment));
  });
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}\n\n${agentRequirements('azure-devops', environments)}`, {
    parameters: [
      commented(
        'Ticked when a person runs the pipeline: the plans accept a certificate that expires before the one in\nKey Vault (ALLOW_EARLIER_EXPIRY). Per run, never stored: going back to an older certificate is decided\nonce, not for good.',
        { name: ALLOW_EARLIER_EXPIRY_PARAMETER, displayName: 'Allow a certificate that expires before the one in Key Vault', type: 'boolean', default: false },
      ),
      commented(
        'Certificates (comma-separated names) whose Key Vault policy may change in this run (ALLOW_POLICY_CHANGE):\nazurerm then has Key Vault generate a new key, a pending version APIM cannot use (docs/constructs.md,\n"Changing a certificate\'s key"). Per run, never stored.',
        { name: ALLOW_POLICY_CHANGE_PARAMETER, displayName: 'Allow a Key Vault policy change (certificate names)', type: 'string', default: ' ' },
      ),
    ],
    trigger: spaced({ branches: { include: ['main'] } }),
    pr: 'none',
    schedules: commented('always: also when nothing changed since the last run; expiry comes with time, not with commits.', [
      { cron: SCHEDULE.cron, displayName: SCHEDULE.description, branches: { include: ['main'] }, always: true },
    ]),
    stages: spaced(stages),
  });
}

/** pipelines/azure-pipelines-validate.yml: test, synthesize and validate a pull request, with no secret and no environment. */
export function azureValidationPipeline(settings: PipelineSettings): string {
  return renderYaml(
    `${generatedHeader()}

Pull-request validation: npm test, synth and Terraform's validation of every stack against the registry's
providers, with no service connection, secret or environment, so a broken environment file is caught before
it merges. Azure Repos: add this pipeline as the Build validation branch policy of main (Branch policies,
Build validation); GitHub-hosted code: its pull requests trigger it (pr below).`,
    {
      trigger: 'none',
      pr: { branches: { include: ['main'] } },
      stages: [{ template: 'templates/synth.yml', parameters: { terraformVersion: TOOLCHAIN.terraform, nodeVersion: TOOLCHAIN.node, pool: synthPool(settings), publish: false } }],
    },
  );
}

const synthPool = (settings: PipelineSettings) => settings.azureDevOps?.synthPool ?? { ...CONVENTIONS.azureDevOps.pool };

function deployStages(env: PipelineEnvironment, dependsOn: string) {
  const ado = env.azureDevOps;
  return {
    template: 'templates/deploy-environment.yml',
    parameters: {
      environment: env.name,
      stageId: env.stageId,
      dependsOn,
      azureDevOpsEnvironment: ado.environment,
      serviceConnection: ado.serviceConnection,
      ...(ado.serviceConnectionId ? { serviceConnectionId: ado.serviceConnectionId } : {}),
      variableGroup: ado.variableGroup,
      pool: ado.pool,
      agentNetworkAccess: ado.agentNetworkAccess,
      terraformVersion: TOOLCHAIN.terraform,
      nodeVersion: TOOLCHAIN.node,
      certificates: env.certificates.map((c) => ({
        stem: c.stem,
        source: c.format,
        secureFile: c.secureFile,
        ...(c.passwordVariable !== undefined ? { passwordVariable: c.passwordVariable } : {}),
      })),
      allowEarlierExpiry: `\${{ parameters.${ALLOW_EARLIER_EXPIRY_PARAMETER} }}`,
      allowPolicyChange: `\${{ parameters.${ALLOW_POLICY_CHANGE_PARAMETER} }}`,
      enabled: NOT_SCHEDULED,
    },
  };
}

function expiryReportStage(env: PipelineEnvironment) {
  const ado = env.azureDevOps;
  return {
    template: 'templates/expiry-report.yml',
    parameters: {
      environment: env.name,
      stageId: env.stageId,
      serviceConnection: ado.serviceConnection,
      nodeVersion: TOOLCHAIN.node,
      pool: ado.pool,
      agentNetworkAccess: ado.agentNetworkAccess,
      enabled: SCHEDULED,
    },
  };
}

/** The comment above an environment's stages: where it comes from, and what must exist for it to run. */
function whatToCreate(env: PipelineEnvironment): string {
  const ado = env.azureDevOps;
  const secrets = [CONVENTIONS.planEncryptionKey, ...env.certificates.flatMap((c) => (c.passwordVariable ? [c.passwordVariable] : []))];
  const pool = 'name' in ado.pool ? `agent pool ${ado.pool.name}, ` : '';
  return [
    `${env.name} (${env.file}, order ${env.order}). In Azure DevOps:`,
    `  service connection ${ado.serviceConnection} (workload identity federation), with an Exclusive lock check: the`,
    `  stages of ${env.name} (plan, apply, weekly report) of every run take their turns on its vault's firewall`,
    `  variable group ${ado.variableGroup}: secrets ${secrets.join(', ')}`,
    ...(env.certificates.length ? [`  secure files: ${env.certificates.map((c) => c.secureFile).join(', ')}`] : []),
    `  environment ${ado.environment}, whose approvals gate the apply`,
    `  pipeline permissions for this pipeline on: ${pool}service connection ${ado.serviceConnection}, variable group`,
    `  ${ado.variableGroup}, the secure files, environment ${ado.environment}`,
    `  a Branch control check (main only) on the service connection, the variable group and the secure files:`,
    `  the plan stage uses them without an approval, so only the reviewed branch may`,
  ].join('\n');
}
