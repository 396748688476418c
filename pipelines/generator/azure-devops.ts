import { CONVENTIONS, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import { SCHEDULE } from './schedule';
import { TOOLCHAIN } from './toolchain';
import { commented, renderYaml, spaced } from './yaml-text';

/** The generated Azure DevOps pipeline, relative to the project root. */
export const AZURE_PIPELINE_FILE = 'pipelines/azure-pipelines.yml';

/** The run-time parameter that lets a plan accept a certificate expiring before the one in Key Vault. */
export const ALLOW_EARLIER_EXPIRY_PARAMETER = 'allowEarlierExpiry';

// Compile-time: a scheduled run holds only the report stages, every other run only synth, plan and apply.
// A stage left out by its template is never asked for an approval, which a stage skipped by a run-time
// condition may still be; and what runs is visible in the compiled YAML.
const SCHEDULED = "${{ eq(variables['Build.Reason'], 'Schedule') }}";
const NOT_SCHEDULED = "${{ ne(variables['Build.Reason'], 'Schedule') }}";

const DESCRIPTION = `
Synthesize once (templates/synth.yml), then plan and apply each environment's stack in promotion order
(templates/deploy-environment.yml, two stages per environment): the plan puts what each certificate file
does to Key Vault (new, unchanged, rotating, with expiry dates) and the plan's summary on the run's
summary page, the apply waits for the approvals of its Azure DevOps environment once the plan is
published, then makes API Management serve the new certificates, and the next environment's plan waits
for that apply. Above each environment: what to create in Azure DevOps for it (docs/deploying.md, "Azure
DevOps").

The weekly scheduled run holds nothing of that: one stage per environment (templates/expiry-report.yml)
reports each certificate's expiry from the stack's state, and fails when one expires within ${SCHEDULE.warnDays} days.`;

/** pipelines/azure-pipelines.yml for the environments, given in promotion order. */
export function azurePipeline(environments: readonly PipelineEnvironment[]): string {
  const stages: unknown[] = [{ template: 'templates/synth.yml', parameters: { terraformVersion: TOOLCHAIN.terraform, enabled: NOT_SCHEDULED } }];
  let previous = 'synth';
  for (const env of environments) {
    stages.push(spaced(deployStages(env, previous), whatToCreate(env)));
    previous = `apply_${env.stageId}`;
  }
  environments.forEach((env, i) => {
    const comment = i === 0 ? 'The weekly expiry report: on the scheduled run only, one stage per environment, all at once.' : undefined;
    stages.push(spaced(expiryReportStage(env), comment));
  });
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}`, {
    parameters: [
      commented(
        'Ticked when a person runs the pipeline: the plans accept a certificate that expires before the one in\nKey Vault (ALLOW_EARLIER_EXPIRY). Per run, never stored: going back to an older certificate is decided\nonce, not for good.',
        {
          name: ALLOW_EARLIER_EXPIRY_PARAMETER,
          displayName: 'Allow a certificate that expires before the one in Key Vault',
          type: 'boolean',
          default: false,
        },
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
      serviceConnectionId: ado.serviceConnectionId,
      variableGroup: ado.variableGroup,
      pool: ado.pool,
      agentNetworkAccess: ado.agentNetworkAccess,
      terraformVersion: TOOLCHAIN.terraform,
      certificates: env.certificates.map((c) => ({
        stem: c.stem,
        source: c.format,
        secureFile: c.secureFile,
        ...(c.passwordVariable !== undefined ? { passwordVariable: c.passwordVariable } : {}),
      })),
      allowEarlierExpiry: `\${{ parameters.${ALLOW_EARLIER_EXPIRY_PARAMETER} }}`,
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
      serviceConnectionId: ado.serviceConnectionId,
      variableGroup: ado.variableGroup,
      pool: ado.pool,
      terraformVersion: TOOLCHAIN.terraform,
      warnDays: SCHEDULE.warnDays,
      enabled: SCHEDULED,
    },
  };
}

/** The comment above an environment's stages: where it comes from, and what must exist for it to run. */
function whatToCreate(env: PipelineEnvironment): string {
  const ado = env.azureDevOps;
  const secrets = [CONVENTIONS.planEncryptionKey, ...env.certificates.flatMap((c) => (c.passwordVariable ? [c.passwordVariable] : []))];
  const idVariable = ado.serviceConnectionId.startsWith('$(') ? `; variable ${CONVENTIONS.azureDevOps.serviceConnectionIdVariable} (the service connection's id)` : '';
  return [
    `${env.name} (${env.file}, order ${env.order}). In Azure DevOps:`,
    `  service connection ${ado.serviceConnection} (workload identity federation)`,
    `  variable group ${ado.variableGroup}: secrets ${secrets.join(', ')}${idVariable}`,
    ...(env.certificates.length ? [`  secure files: ${env.certificates.map((c) => c.secureFile).join(', ')}`] : []),
    `  environment ${ado.environment}, whose approvals gate the apply`,
    `  a Branch control check (main only) on the service connection, the variable group and the secure files:`,
    `  the plan stage uses them without an approval, so only the reviewed branch may`,
  ].join('\n');
}
