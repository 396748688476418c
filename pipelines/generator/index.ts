import * as v from 'valibot';
import { ConfigurationError, ConfigurationErrors } from '../../constructs/configuration-error';
import { AZURE_PIPELINE_FILE, AZURE_VALIDATION_FILE, azurePipeline, azureValidationPipeline } from './azure-devops';
import { pipelineSettingsProblems } from './check-settings';
import { placeholderFields, resolvePipelineEnvironment } from './conventions';
import { GITHUB_VALIDATION_FILE, GITHUB_WORKFLOW_FILE, githubValidationWorkflow, githubWorkflow } from './github-actions';
import { type EnvironmentFile, type PipelineSettings, pipelineSettingsSchema } from './pipeline-settings';
import { promotionOrder } from './promotion-order';

export { ALLOW_EARLIER_EXPIRY_PARAMETER, ALLOW_POLICY_CHANGE_PARAMETER, AZURE_PIPELINE_FILE, AZURE_VALIDATION_FILE } from './azure-devops';
export { CONVENTIONS, placeholderFields, resolvePipelineEnvironment, type PipelineCertificate, type PipelineEnvironment } from './conventions';
export { GENERATE_COMMAND, GENERATED_MARKER, staleFiles, staleReport, writeGeneratedFiles, type StaleFile } from './generated-files';
export { ALLOW_EARLIER_EXPIRY_INPUT, ALLOW_POLICY_CHANGE_INPUT, GITHUB_VALIDATION_FILE, GITHUB_WORKFLOW_FILE, applyJobId, expiryJobId, planJobId } from './github-actions';
export { SCHEDULE } from './schedule';
export type { EnvironmentFile, PipelineSettings } from './pipeline-settings';
export { promotionOrder } from './promotion-order';

export interface GeneratedPipelines {
  /** Path (relative to the project root) → content. */
  readonly files: Map<string, string>;
  /** Environments left out, each as "<name> (<file>): <fields with placeholder ids>". */
  readonly skipped: readonly string[];
}

/**
 * The pipeline files for the environments and the pipeline-wide settings (pipelines/settings.ts). Pure:
 * reads and writes nothing, and the same inputs, in any order, give the same bytes. An environment whose
 * ids are still placeholders (a sample's) is left out and listed, so that no environment waits for an
 * apply that can only fail. Throws ConfigurationErrors naming every problem with the pipeline settings.
 */
export function generatePipelines(environments: readonly EnvironmentFile[], settings: PipelineSettings = {}): GeneratedPipelines {
  const parsed = v.safeParse(pipelineSettingsSchema, settings);
  const problems = [
    ...pipelineSettingsProblems(environments),
    ...(parsed.success
      ? []
      : parsed.issues.map((issue) => new ConfigurationError({ source: 'pipelines/settings.ts', field: (issue.path ?? []).map((p) => p.key).join('.') || '(the settings)', value: issue.input, rule: issue.message, fix: 'write { azureDevOps: { synthPool: { vmImage: "ubuntu-24.04" } }, github: { synthRunsOn: "ubuntu-24.04" } }' }))),
  ];
  if (problems.length) throw new ConfigurationErrors(problems);
  const skipped: string[] = [];
  const deployable = environments.filter((e) => {
    const fields = placeholderFields(e.config);
    if (fields.length) skipped.push(`${e.config.name} (${e.file}): ${fields.join(', ')}`);
    return fields.length === 0;
  });
  const ordered = promotionOrder(deployable.map(resolvePipelineEnvironment));
  return {
    files: new Map([
      [AZURE_PIPELINE_FILE, azurePipeline(ordered, settings)],
      [AZURE_VALIDATION_FILE, azureValidationPipeline(settings)],
      [GITHUB_WORKFLOW_FILE, githubWorkflow(ordered, settings)],
      [GITHUB_VALIDATION_FILE, githubValidationWorkflow(settings)],
    ]),
    skipped,
  };
}
