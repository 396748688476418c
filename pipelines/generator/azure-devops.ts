import { CONVENTIONS, type PipelineEnvironment } from './conventions';
import { generatedHeader } from './generated-files';
import { TOOLCHAIN } from './toolchain';
import { renderYaml, spaced } from './yaml-text';

/** The generated Azure DevOps pipeline, relative to the project root. */
export const AZURE_PIPELINE_FILE = 'pipelines/azure-pipelines.yml';

const DESCRIPTION = `
Synthesize once (templates/synth.yml), then plan and apply each environment's stack in promotion order
(templates/deploy-environment.yml, two stages per environment): the apply waits for the approvals of its
Azure DevOps environment once the plan is published, and the next environment's plan waits for that
apply. Above each environment: what to create in Azure DevOps for it (docs/deploying.md, "Azure
DevOps").`;

/** pipelines/azure-pipelines.yml for the environments, given in promotion order. */
export function azurePipeline(environments: readonly PipelineEnvironment[]): string {
  const stages: unknown[] = [{ template: 'templates/synth.yml', parameters: { terraformVersion: TOOLCHAIN.terraform } }];
  let previous = 'synth';
  for (const env of environments) {
    stages.push(spaced(deployStages(env, previous), whatToCreate(env)));
    previous = `apply_${env.stageId}`;
  }
  return renderYaml(`${generatedHeader()}\n${DESCRIPTION}`, {
    trigger: { branches: { include: ['main'] } },
    pr: 'none',
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
  ].join('\n');
}
