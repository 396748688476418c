import { ConfigurationError, ConfigurationErrors } from '../constructs/configuration-error';
import type { EnvironmentConfig } from './environment-config';
import { EnvironmentSource, validateAcrossEnvironments, validateEnvironment } from './validate-environment';

/** Validates every environment before anything is built; throws all problems at once. */
export function loadEnvironments(sources: readonly EnvironmentSource[]): readonly EnvironmentConfig[] {
  const problems = [...sources.flatMap(validateEnvironment), ...validateAcrossEnvironments(sources)];
  if (problems.length) throw new ConfigurationErrors(problems);
  return sources.map((s) => s.config);
}

/** The environments named on the command line, or all of them when none is named. */
export function selectEnvironments(all: readonly EnvironmentConfig[], names: readonly string[]): readonly EnvironmentConfig[] {
  if (!names.length) return all;
  const known = new Map(all.map((e) => [e.name, e]));
  return names.map((n) => {
    const env = known.get(n);
    if (!env) {
      throw new ConfigurationError({
        source: 'command line',
        field: 'environment',
        value: n,
        rule: `is not an environment in environments/ (there are: ${[...known.keys()].join(', ')})`,
        fix: 'name one of those, or add environments/<name>.ts (nothing else registers it)',
      });
    }
    return env;
  });
}
