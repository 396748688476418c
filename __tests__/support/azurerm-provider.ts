import { resolveProviders } from '../../emulator/terraform-providers';

// The lifecycle suite's skip: the providers are resolved by emulator/terraform-providers.ts.
export { AZURERM_VERSION, providerMirror, resolveProviders, TIME_VERSION, type TerraformProviders } from '../../emulator/terraform-providers';

const requireProvider = () => process.env.REQUIRE_AZURERM_PROVIDER === '1';

/**
 * `describe` when the providers are there; else a named skip, or (REQUIRE_AZURERM_PROVIDER=1) one failing
 * test naming what is missing. The other tools the suite needs are checked with describeWith first.
 */
export function describeWithProviders(resolved: ReturnType<typeof resolveProviders>): jest.Describe {
  if ('providers' in resolved) return describe;
  const { missing } = resolved;
  if (requireProvider()) {
    return ((name: string) =>
      describe(name, () => {
        it(`cannot run: ${missing} is missing, and REQUIRE_AZURERM_PROVIDER=1 says this suite must run`, () => {
          throw new Error(`${missing} is missing on this machine; run .ci/azurerm-provider.sh`);
        });
      })) as unknown as jest.Describe;
  }
  return ((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${missing} is missing)`, fn)) as unknown as jest.Describe;
}
