import * as v from 'valibot';
import type { EnvironmentConfig } from '../../config/environment-config';

/**
 * An environment and the file it came from, as environments/index.ts lists them. The generator reads its
 * name, its certificates (name, format, secureFile, passwordVariable, githubSecretPrefix) and its
 * `pipeline` settings; every default is in conventions.ts.
 */
export interface EnvironmentFile {
  readonly file: string;
  readonly config: EnvironmentConfig;
}

/**
 * What the pipelines do outside any one environment (pipelines/settings.ts): where the synth-and-test stage
 * (and, on GitHub, the pull-request validation) runs. Self-hosted agents need what the generated headers list.
 */
export const pipelineSettingsSchema = v.strictObject({
  azureDevOps: v.optional(
    v.strictObject({
      /** The synth and test stage's pool: { vmImage } for Microsoft-hosted agents, { name } for a pool of your own. @default { vmImage: "ubuntu-24.04" } */
      synthPool: v.optional(v.union([v.strictObject({ vmImage: v.string() }), v.strictObject({ name: v.string() })])),
    }),
  ),
  github: v.optional(
    v.strictObject({
      /** The runner label of the synth and pull-request validation jobs. @default "ubuntu-24.04" */
      synthRunsOn: v.optional(v.string()),
    }),
  ),
});

export type PipelineSettings = v.InferInput<typeof pipelineSettingsSchema>;
