import type { EnvironmentSource } from '../config/validate-environment';
import dev from './dev';
import prod from './prod';
import test from './test';

/**
 * Every environment, one file each, named after the environment (`environments/<name>.ts`), in
 * promotion order. A file not listed here is not deployed; a test checks that none is forgotten.
 */
export const environments: readonly EnvironmentSource[] = [dev, test, prod].map((config) => ({ file: `environments/${config.name}.ts`, config }));
