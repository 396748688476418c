import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real Terraform providers a run against the emulator uses (__tests__/lifecycle-on-emulator.test.ts,
 * npm run rehearse): azurerm 4.55.0 and time 0.13.1, the versions the stacks pin. .ci/azurerm-provider.sh builds them once into a
 * cache outside the repository; the Terraform registry is not reachable here, so Terraform gets them from a
 * filesystem mirror made for each run (as a pipeline with a provider mirror would), and `terraform init`
 * writes a lock file with their hashes as it would anywhere.
 *
 * Resolution: APIMCERT_AZURERM_PROVIDER_DIR (the script's output), else the script's cache directory.
 * The time provider: APIMCERT_TIME_PROVIDER_DIR, else beside azurerm, else its cache directory.
 * APIMCERT_AZURERM_PROVIDER_DIR=off turns the suite off for a run (a named skip), and
 * APIMCERT_AZURERM_PROVIDER_UNAVAILABLE carries the script's error into the skip's name, so that a CI
 * machine that cannot build the provider says why. The suite then skips; REQUIRE_AZURERM_PROVIDER=1 (not
 * REQUIRE_TEST_TOOLS: a CI machine may be unable to build the provider) makes that a failing test instead.
 */
export const AZURERM_VERSION = '4.55.0';
export const TIME_VERSION = '0.13.1';

export interface TerraformProviders {
  /** The terraform-provider-azurerm_v4.55.0 binary. */
  readonly azurerm: string;
  /** The terraform-provider-time_v0.13.1 binary. */
  readonly time: string;
}

const cacheRoot = () => process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const executable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

export function resolveProviders(env: NodeJS.ProcessEnv = process.env): { providers: TerraformProviders } | { missing: string } {
  if (env.APIMCERT_AZURERM_PROVIDER_DIR === 'off') return { missing: 'the azurerm provider (turned off for this run: APIMCERT_AZURERM_PROVIDER_DIR=off)' };
  if (env.APIMCERT_AZURERM_PROVIDER_UNAVAILABLE) return { missing: `terraform-provider-azurerm ${AZURERM_VERSION} (.ci/azurerm-provider.sh could not build it: ${env.APIMCERT_AZURERM_PROVIDER_UNAVAILABLE.trim()})` };
  const azurermDir = env.APIMCERT_AZURERM_PROVIDER_DIR || path.join(cacheRoot(), 'apimcert-azurerm', AZURERM_VERSION);
  const azurerm = path.join(azurermDir, `terraform-provider-azurerm_v${AZURERM_VERSION}`);
  if (!executable(azurerm)) return { missing: `terraform-provider-azurerm ${AZURERM_VERSION} (not in ${azurermDir}; run .ci/azurerm-provider.sh, or set APIMCERT_AZURERM_PROVIDER_DIR)` };
  const timeName = `terraform-provider-time_v${TIME_VERSION}`;
  const time = [env.APIMCERT_TIME_PROVIDER_DIR, azurermDir, path.join(cacheRoot(), 'apimcert-terraform-time', TIME_VERSION)]
    .filter((d): d is string => Boolean(d))
    .map((d) => path.join(d, timeName))
    .find(executable);
  if (!time) return { missing: `terraform-provider-time ${TIME_VERSION} (the stacks' hashicorp/time; run .ci/azurerm-provider.sh, or set APIMCERT_TIME_PROVIDER_DIR)` };
  return { providers: { azurerm, time } };
}

/**
 * A filesystem mirror of the two providers (symbolic links to the cached binaries, in the unpacked layout
 * `registry.terraform.io/hashicorp/<type>/<version>/<os>_<arch>/<binary>`) and a CLI configuration that
 * installs from it alone: `TF_CLI_CONFIG_FILE`. Nothing reaches a registry; `terraform init` records the
 * packages' hashes in the lock file as it does in a pipeline.
 */
export function providerMirror(providers: TerraformProviders, dir: string): { cliConfigFile: string } {
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const mirror = path.join(dir, 'providers');
  for (const [type, version, binary] of [
    ['azurerm', AZURERM_VERSION, providers.azurerm],
    ['time', TIME_VERSION, providers.time],
  ] as const) {
    const target = path.join(mirror, 'registry.terraform.io', 'hashicorp', type, version, platform);
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(binary, path.join(target, `terraform-provider-${type}_v${version}`));
  }
  const cliConfigFile = path.join(dir, 'terraform.rc');
  fs.writeFileSync(
    cliConfigFile,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror)}`,
      '    include = ["registry.terraform.io/hashicorp/azurerm", "registry.terraform.io/hashicorp/time"]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return { cliConfigFile };
}
