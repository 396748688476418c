import { criticalPath, estimateDuration, formatDuration, parseDuration } from '../analysis/critical-path';
import { buildDependencyGraph, TerraformJson } from '../analysis/dependency-graph';
import { blockAt } from '../analysis/stack-blocks';
import { synthEnvironment } from './support/stack-fixture';

const APIM = 'azurerm_api_management.ApiManagement';
const DEPLOYER_WAIT = 'time_sleep.DeployerAccessPropagation_Sleep';
const APIM_ACCESS_WAIT = 'time_sleep.Certificate-mtls-backend_ApimAccessPropagation_Sleep';
const MINUTES = 60;

describe('parseDuration', () => {
  it.each([
    ['120s', 120],
    ['3m', 180],
    ['1h30m', 5400],
    ['500ms', 0.5],
    ['1.5h', 5400],
    ['0', 0],
  ])('reads "%s" as %d seconds', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(['', '120', '2 minutes', '-5s', '5d', '1h 30m', 's'])('rejects "%s" with the form it expects', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a time_sleep duration: .*"120s"/);
  });

  it('prints durations in the form it reads', () => {
    expect([5400, 130, 120, 0.5, 0].map(formatDuration)).toEqual(['1h30m', '2m10s', '2m', '0.5s', '0s']);
    expect(parseDuration(formatDuration(2_950))).toBe(2_950);
  });
});

describe('criticalPath', () => {
  it('goes through a new Developer_1 APIM instance and takes at least 30 minutes', () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-unit', publisherName: 'Unit', publisherEmail: 'unit@example.com', skuName: 'Developer_1' } });
    const path = criticalPath(tf);
    expect(path.steps.map((s) => s.address)).toContain(APIM);
    expect(path.steps.find((s) => s.address === APIM)).toMatchObject({ min: 30 * MINUTES, max: 45 * MINUTES });
    expect(path.totalMin).toBeGreaterThanOrEqual(30 * MINUTES);
  });

  it('with an existing APIM instance is minutes long and runs through both RBAC propagation waits', () => {
    const created = criticalPath(synthEnvironment().tf);
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-unit', existing: true } });
    const path = criticalPath(tf);
    const addresses = path.steps.map((s) => s.address);
    expect(addresses).not.toContain(APIM);
    expect(addresses).toEqual(expect.arrayContaining([DEPLOYER_WAIT, APIM_ACCESS_WAIT]));
    expect(addresses.indexOf(DEPLOYER_WAIT)).toBeLessThan(addresses.indexOf(APIM_ACCESS_WAIT));
    expect(path.totalMax).toBeLessThan(15 * MINUTES);
    expect(path.totalMax * 3).toBeLessThan(created.totalMin);
  });

  it('is a chain: every step waits for the one before it, and the totals are the sums of the steps', () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-unit', existing: true } });
    const graph = buildDependencyGraph(tf);
    const { steps, totalMin, totalMax } = criticalPath(tf, graph);
    expect(steps.length).toBeGreaterThan(5);
    steps.slice(1).forEach((step, i) => expect(graph.dependsOn.get(step.address)).toContain(steps[i].address));
    expect(graph.dependsOn.get(steps[0].address)?.size).toBe(0);
    expect(totalMin).toBe(steps.reduce((n, s) => n + s.min, 0));
    expect(totalMax).toBe(steps.reduce((n, s) => n + s.max, 0));
  });

  it('takes a v2 tier to be created in minutes, so the Key Vault path becomes the longest', () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-unit', publisherName: 'Unit', publisherEmail: 'unit@example.com', skuName: 'StandardV2_1' } });
    expect(estimateDuration(blockAt(tf, APIM))).toMatchObject({ min: 1 * MINUTES, max: 5 * MINUTES });
    const addresses = criticalPath(tf).steps.map((s) => s.address);
    expect(addresses).not.toContain(APIM);
    expect(addresses).toEqual(expect.arrayContaining(['azurerm_key_vault.KeyVault', DEPLOYER_WAIT, APIM_ACCESS_WAIT]));
  });

  it("weighs each time_sleep by the environment's rbacPropagationWait", () => {
    const { tf } = synthEnvironment({ apiManagement: { name: 'apim-unit', existing: true }, rbacPropagationWait: '3m' });
    const sleeps = criticalPath(tf).steps.filter((s) => s.address.startsWith('time_sleep.'));
    expect(sleeps.map((s) => [s.min, s.max])).toEqual([
      [180, 180],
      [180, 180],
    ]);
  });

  it('takes an APIM SKU that is not a literal as a classic tier, and says so', () => {
    const stack: TerraformJson = { resource: { azurerm_api_management: { ApiManagement: { sku_name: '${var.apim_sku}' } } } };
    expect(criticalPath(stack).steps).toEqual([{ address: APIM, min: 30 * MINUTES, max: 45 * MINUTES, covers: expect.stringMatching(/not known at synth time: taken as a classic tier/) }]);
  });

  it('gives a type it has no estimate for a wide guess, and says it is one', () => {
    const stack: TerraformJson = { resource: { azurerm_storage_account: { State: { name: 'st' } } } };
    expect(criticalPath(stack).steps).toEqual([{ address: 'azurerm_storage_account.State', min: 10, max: 60, covers: expect.stringMatching(/no estimate .*guess/) }]);
  });

  it('refuses a dependency cycle instead of looping', () => {
    const stack: TerraformJson = {
      resource: { time_sleep: { A: { depends_on: ['time_sleep.B'] }, B: { depends_on: ['time_sleep.A'] } } },
    };
    expect(() => criticalPath(stack)).toThrow(/dependency cycle/);
  });
});
