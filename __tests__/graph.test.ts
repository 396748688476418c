import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { needlessApimWaits } from '../analysis/apim-waits';
import { buildDependencyGraph, TerraformJson, transitiveDependencies } from '../analysis/dependency-graph';
import { mermaidNodeIds, toMermaidFlowchart } from '../analysis/mermaid';
import { EnvironmentStack } from '../config/environment-stack';
import { environments } from '../environments';
import { runGraphCommand } from '../scripts/graph';
import { synthEnvironment } from './support/stack-fixture';

const APIM = 'azurerm_api_management.ApiManagement';
const KV_CERT = 'azurerm_key_vault_certificate.Certificate-mtls-backend_KeyVaultCertificate';

/** A small stack as Terraform would read it, with the Key Vault certificate made to wait for APIM. */
function plantedStack(): TerraformJson {
  return {
    resource: {
      azurerm_resource_group: { ResourceGroup: { name: 'rg-unit' } },
      azurerm_api_management: { ApiManagement: { resource_group_name: '${azurerm_resource_group.ResourceGroup.name}', sku_name: 'Developer_1' } },
      azurerm_key_vault: { KeyVault: { resource_group_name: '${azurerm_resource_group.ResourceGroup.name}' } },
      azurerm_key_vault_certificate: {
        Cert: { key_vault_id: '${azurerm_key_vault.KeyVault.id}', depends_on: ['azurerm_api_management.ApiManagement'] },
      },
      azurerm_api_management_certificate: {
        ApimCert: {
          api_management_name: '${azurerm_api_management.ApiManagement.name}',
          key_vault_secret_id: '${azurerm_key_vault_certificate.Cert.versionless_secret_id}',
        },
      },
    },
  };
}

describe('needlessApimWaits', () => {
  it('finds nothing in the Key Vault import path waiting for a new APIM instance', () => {
    const { tf } = synthEnvironment();
    expect(needlessApimWaits(tf)).toEqual([]);
    // The check above is only meaningful because APIM-side blocks do wait for the instance.
    const graph = buildDependencyGraph(tf);
    expect(transitiveDependencies(graph, 'azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate')).toContain(APIM);
    expect(transitiveDependencies(graph, 'azurerm_role_assignment.KeyVault_ApimSecretRead-mtls-backend')).toContain(APIM);
    expect(transitiveDependencies(graph, KV_CERT)).not.toContain(APIM);
  });

  // Every environment there is (a team's, or none once the samples are gone): one test over all of them.
  it('finds nothing that waits on APIM needlessly in any environment of environments/', () => {
    const waits = environments.map((e) => [e.config.name, needlessApimWaits(JSON.parse(Testing.synth(new EnvironmentStack(Testing.app(), e.config))))]);
    expect(waits.filter(([, found]) => (found as unknown[]).length)).toEqual([]);
  });

  it('reports a Key Vault certificate planted to depend on APIM, with the chain that makes it wait', () => {
    expect(needlessApimWaits(plantedStack())).toEqual([
      { address: 'azurerm_key_vault_certificate.Cert', apiManagement: APIM, via: ['azurerm_key_vault_certificate.Cert', APIM], keyVaultSide: true },
    ]);
  });

  it('reports everything on the Key Vault side that waits for APIM through a deployer role assignment', () => {
    const { tf } = synthEnvironment();
    const deployer = 'azurerm_role_assignment.KeyVault_DeployerAccess-11111111-1111-1111-1111-111111111111';
    (tf.resource!.azurerm_role_assignment[deployer.split('.')[1]] as Record<string, unknown>).depends_on = [APIM];
    const waits = needlessApimWaits(tf);
    expect(waits.map((w) => [w.address, w.keyVaultSide])).toEqual([
      [KV_CERT, true],
      [deployer, true],
      ['time_sleep.DeployerAccessPropagation_Sleep', true],
    ]);
    expect(waits.find((w) => w.address === KV_CERT)?.via).toEqual([KV_CERT, 'time_sleep.DeployerAccessPropagation_Sleep', deployer, APIM]);
  });

  it("counts a role assignment as needing APIM only when its principal is APIM's own identity", () => {
    const grant = (principalId: string) => ({
      scope: '${azurerm_key_vault.KeyVault.id}',
      principal_id: principalId,
      // Mentioning the instance anywhere else makes the grant wait for it, needed or not.
      description: 'Key Vault Secrets User: API Management ${azurerm_api_management.ApiManagement.name}',
    });
    const stack = plantedStack();
    delete (stack.resource!.azurerm_key_vault_certificate.Cert as Record<string, unknown>).depends_on;
    Object.assign(stack.resource!, {
      azurerm_user_assigned_identity: { Identity: { name: 'id-unit' } },
      azurerm_role_assignment: {
        ToSystemIdentity: grant('${azurerm_api_management.ApiManagement.identity[0].principal_id}'),
        ToUserIdentity: grant('${azurerm_user_assigned_identity.Identity.principal_id}'),
      },
      time_sleep: { AfterUserIdentityGrant: { create_duration: '120s', depends_on: ['azurerm_role_assignment.ToUserIdentity'] } },
    });
    expect(needlessApimWaits(stack).map((w) => [w.address, w.keyVaultSide])).toEqual([
      ['azurerm_role_assignment.ToUserIdentity', false],
      ['time_sleep.AfterUserIdentityGrant', false],
    ]);
  });

  it('finds nothing when the stack creates no APIM instance', () => {
    expect(needlessApimWaits(synthEnvironment({ apiManagement: { name: 'apim-unit', existing: true } }).tf)).toEqual([]);
  });
});

describe('toMermaidFlowchart', () => {
  it('draws every resource and data source, and one arrow per dependency from dependency to dependent', () => {
    const { tf } = synthEnvironment();
    const graph = buildDependencyGraph(tf);
    const chart = toMermaidFlowchart(tf);
    const ids = mermaidNodeIds(graph.addresses);
    const lines = chart.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    for (const address of graph.addresses) expect(lines.filter((l) => l.includes(`"${address}`))).toHaveLength(1);
    const arrows = lines.filter((l) => l.includes('-->'));
    const expected = graph.addresses.flatMap((a) => [...(graph.dependsOn.get(a) ?? [])].map((d) => `  ${ids.get(d)} --> ${ids.get(a)}`));
    expect(expected.length).toBeGreaterThan(15);
    expect(arrows.sort()).toEqual(expected.sort());
    expect(arrows).toContain(`  ${ids.get('time_sleep.DeployerAccessPropagation_Sleep')} --> ${ids.get(KV_CERT)}`);
  });

  it('names the role of each role assignment and draws data sources round', () => {
    const chart = toMermaidFlowchart(synthEnvironment().tf);
    expect(chart).toMatch(/\["azurerm_role_assignment\.KeyVault_DeployerAccess-1111[^"]*<br\/>Key Vault Certificates Officer"\]/);
    expect(chart).toMatch(/\["azurerm_role_assignment\.KeyVault_ApimSecretRead-mtls-backend<br\/>Key Vault Secrets User"\]/);
    expect(chart).toMatch(/\(\["data\.azurerm_subscription\.Azure_Subscription"\]\)/);
  });

  it('gives every node a distinct id that Mermaid accepts, even where names repeat or are keywords', () => {
    const ids = mermaidNodeIds(['azurerm_key_vault.KeyVault', 'data.azurerm_key_vault.KeyVault', 'time_sleep.end', 'azurerm_resource_group.Rg-1', 'azurerm_resource_group.Rg_1']);
    expect(new Set(ids.values()).size).toBe(5);
    for (const id of ids.values()) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
    expect(ids.get('time_sleep.end')).not.toBe('end');
  });

  it('marks the highlighted addresses only', () => {
    const chart = toMermaidFlowchart(plantedStack(), { highlight: [APIM, 'azurerm_key_vault_certificate.Cert'] });
    expect(chart.split('\n').filter((l) => l.startsWith('  class '))).toEqual(['  class ApiManagement,Cert critical']);
  });
});

describe('npm run graph', () => {
  let outdir: string;
  const run = (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = runGraphCommand(args, { outdir, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { status, stdout: out.join('\n'), stderr: err.join('\n') };
  };
  const writeStack = (name: string, stack: TerraformJson) => {
    fs.mkdirSync(path.join(outdir, 'stacks', name), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(stack));
  };
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-command-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('tells the user to synthesize first when there is nothing to read', () => {
    const result = run('dev');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: no synthesized stacks in .*: run `npm run synth` first$/);
  });

  it('lists the synthesized stacks when the one named is not there', () => {
    writeStack('dev', plantedStack());
    writeStack('prod', plantedStack());
    const result = run('qa');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no stack "qa" .*\(there are: dev, prod\)/);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('prints the graph, the critical path with its total and the needless waits, exiting 0 without --strict', () => {
    writeStack('dev', synthEnvironment().tf);
    const result = run('dev');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('flowchart LR');
    expect(result.stdout).toMatch(/azurerm_api_management\.ApiManagement +30m – 45m +API Management Developer_1: classic tier/);
    expect(result.stdout).toMatch(/\n {2}total +3\dm\d*s? – \d+m\d*s?\n/);
    expect(result.stdout).toMatch(/Key Vault side[^\n]*\n {4}none\n {2}anything else:\n {4}none$/);
  });

  it('fails with --strict, and only then, when something waits for APIM without needing it', () => {
    writeStack('dev', plantedStack());
    expect(run('dev').status).toBe(0);
    const strict = run('dev', '--strict');
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('azurerm_key_vault_certificate.Cert\n      waits for azurerm_api_management.ApiManagement');
    expect(strict.stderr).toMatch(/1 block\(s\) wait for API Management's creation/);
    writeStack('clean', synthEnvironment().tf);
    expect(run('clean', '--strict').status).toBe(0);
  });

  it('prints the same content as JSON with --json', () => {
    writeStack('dev', plantedStack());
    const result = run('dev', '--json');
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ stack: 'dev', blocks: 5, dependencies: 6 });
    expect(report.mermaid).toBe(toMermaidFlowchart(plantedStack(), { highlight: report.criticalPath.steps.map((s: { address: string }) => s.address) }));
    expect(report.criticalPath.steps.map((s: { address: string }) => s.address)).toEqual([
      'azurerm_resource_group.ResourceGroup',
      APIM,
      'azurerm_key_vault_certificate.Cert',
      'azurerm_api_management_certificate.ApimCert',
    ]);
    expect(report.needlessApimWaits).toHaveLength(1);
  });

  it('rejects an unknown option with the usage line', () => {
    const result = run('dev', '--verbose');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^usage: npm run graph -- <environment> .*unknown option --verbose/);
  });
});
