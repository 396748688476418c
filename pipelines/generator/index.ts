import { ConfigurationErrors } from '../../constructs/configuration-error';
import { AZURE_PIPELINE_FILE, azurePipeline } from './azure-devops';
import { pipelineSettingsProblems } from './check-settings';
import { resolvePipelineEnvironment } from './conventions';
import { GITHUB_WORKFLOW_FILE, githubWorkflow } from './github-actions';
import type { EnvironmentFile } from './pipeline-settings';
import { promotionOrder } from './promotion-order';

export { ALLOW_EARLIER_EXPIRY_PARAMETER, AZURE_PIPELINE_FILE } from './azure-devops';
export { CONVENTIONS, resolvePipelineEnvironment, type PipelineCertificate, type PipelineEnvironment } from './conventions';
export { GENERATE_COMMAND, GENERATED_MARKER, staleFiles, staleReport, writeGeneratedFiles, type StaleFile } from './generated-files';
export { ALLOW_EARLIER_EXPIRY_INPUT, GITHUB_WORKFLOW_FILE, applyJobId, expiryJobId, planJobId } from './github-actions';
export { SCHEDULE } from './schedule';
export type { EnvironmentFile } from './pipeline-settings';
export { promotionOrder } from './promotion-order';

/**
 * The pipeline files for the environments: path (relative to the project root) → content. Pure: reads
 * and writes nothing, and the same environments, in any order, give the same bytes. Throws
 * ConfigurationErrors naming every problem with the environments' pipeline settings.
 */
export function generatePipelines(environments: readonly EnvironmentFile[]): Map<string, string> {
  const problems = pipelineSettingsProblems(environments);
  if (problems.length) throw new ConfigurationErrors(problems);
  const ordered = promotionOrder(environments.map(resolvePipelineEnvironment));
  return new Map([
    [AZURE_PIPELINE_FILE, azurePipeline(ordered)],
    [GITHUB_WORKFLOW_FILE, githubWorkflow(ordered)],
  ]);
}
