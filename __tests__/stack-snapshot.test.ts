import { synthEnvironment } from './support/stack-fixture';

// The provider packages' own version pins (azurerm 4.55.0 from @cdktf/provider-azurerm 14.x, 4.73.0 from
// @cdktn/provider-azurerm 16.x) are not part of the drift alarm: each is checked against the installed
// binding below, so the snapshot holds for both toolchains (docs/toolchain.md, "CDK Terrain").
const PIN = '<the installed binding>';

// A drift alarm, not the main assertion: any change to what a stack synthesizes shows up here for review.
it('synthesizes the base environment as before', () => {
  const tf = JSON.parse(synthEnvironment().json);
  for (const provider of Object.values<{ version?: string }>(tf.terraform.required_providers)) provider.version &&= PIN;
  expect(tf).toMatchSnapshot();
});

it('pins each provider at the version its installed binding was generated from', () => {
  const { tf } = synthEnvironment();
  const binding = (name: string) => require(`@cdktf/provider-${name}/package.json`).cdktf.provider.version;
  expect(tf.terraform.required_providers.azurerm.version).toBe(binding('azurerm'));
  expect(tf.terraform.required_providers.time.version).toBe(binding('time'));
});
