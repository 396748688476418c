import type { PipelineEnvironment } from './conventions';

/**
 * The order the pipelines deploy the environments in: by `pipeline.order`, lower first, and environments
 * of one order by name (compared as code points, so that the result is the same on every machine). Each
 * environment's plan waits for the apply of the one before it.
 */
export function promotionOrder(environments: readonly PipelineEnvironment[]): PipelineEnvironment[] {
  return [...environments].sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
