import type { PipelineEnvironment } from './conventions';

/**
 * What the machines that run the generated pipelines need, in the generated file's header, so that a team
 * moving to self-hosted agents (or runners) knows before the first run: the tools, the architecture, the
 * hosts the jobs reach, and, for a vault behind a private endpoint, the name resolution.
 */
export function agentRequirements(system: 'azure-devops' | 'github', environments: readonly PipelineEnvironment[]): string {
  const vaults = environments.filter((e) => !e.privateEndpoint).map((e) => e.keyVault.split('/')[1]);
  const privateVaults = environments.filter((e) => e.privateEndpoint);
  const openers = environments.filter((e) => (system === 'github' ? e.github.agentNetworkAccess : e.azureDevOps.agentNetworkAccess));
  const lines = [
    `What the ${system === 'github' ? 'runners (GitHub-hosted or self-hosted)' : 'agents (Microsoft-hosted, self-hosted or a Managed DevOps Pool)'} need (docs/deploying.md, "Self-hosted agents"):`,
    '  - Linux or macOS on x64 or arm64 with bash (the one line that starts each Node step) and the Azure CLI;',
    `    the jobs install Node and Terraform for the machine's own OS and architecture themselves`,
    '  - outbound HTTPS to registry.npmjs.org (npm ci), nodejs.org (Node), releases.hashicorp.com and',
    '    registry.terraform.io (Terraform and its providers), login.microsoftonline.com, management.azure.com,',
    `    and the vaults' data planes${vaults.length ? ` (${vaults.map((v) => `${v}.vault.azure.net`).join(', ')})` : ''}${openers.length ? ';\n    api.ipify.org, where a job opens the vault\'s firewall to its own address (agentNetworkAccess)' : ''}`,
    ...privateVaults.map(
      (e) => `  - ${e.name}: ${e.keyVault.split('/')[1]}.vault.azure.net resolved to its private endpoint (the privatelink.vaultcore.azure.net zone linked to the agents' network)`,
    ),
  ];
  if (system === 'azure-devops') {
    lines.push(
      '  - time: Microsoft-hosted agents of a free private project stop every job at 60 minutes, below the 180 an',
      '    apply creating a classic-tier APIM may need. Way out: a paid parallel job (360 minutes), a self-hosted',
      '    pool, or an APIM instance created beforehand (apiManagement.existing: true)',
    );
  }
  return lines.join('\n');
}
