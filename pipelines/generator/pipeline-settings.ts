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
