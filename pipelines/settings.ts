import type { PipelineSettings } from './generator/pipeline-settings';

// Where the pipelines run their synth-and-test stage (and GitHub its pull-request validation). Each
// environment chooses where its own plan and apply run (its `pipeline` settings). After a change here:
// npm run pipelines.
const settings: PipelineSettings = {
  azureDevOps: { synthPool: { vmImage: 'ubuntu-24.04' } },
  github: { synthRunsOn: 'ubuntu-24.04' },
};

export default settings;
