import type { EnvironmentSource } from '../config/validate-environment';
import dev from './dev';

/**
 * Every environment, one file each, named after the environment (`environments/<name>.ts`).
 * A file not listed here is not deployed; a test checks that none is forgotten.
 */
export const environments: readonly EnvironmentSource[] = [dev].map((config) => ({ file: `environments/${config.name}.ts`, config }));
