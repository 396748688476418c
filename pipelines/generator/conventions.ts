import { variableStem } from '../../constructs/certificate-names';
import type { EnvironmentFile } from './pipeline-settings';

/**
 * The naming conventions of the generated pipelines: every default in one place. An environment file
 * overrides any of them in its `pipeline` settings, and each certificate its own names.
 *
 * Per environment, <env> being its name:
 *
 *   what                              setting (environment file)                default
 *   promotion order                   pipeline.order                            100; ties by <env>
 *   Azure DevOps service connection   pipeline.azureDevOps.serviceConnection    sc-apimcert-<env> (its id for Terraform's
 *                                                                               OIDC login comes from AzureCLI@2 itself)
 *   Azure DevOps variable group       pipeline.azureDevOps.variableGroup        vg-apimcert-<env>
 *   Azure DevOps environment (apply)  pipeline.azureDevOps.environment          apimcert-<env>
 *   Azure DevOps agent pool           pipeline.azureDevOps.pool                 { vmImage: ubuntu-24.04 }
 *   open the vault to the agent       pipeline.azureDevOps.agentNetworkAccess   true
 *   GitHub environment (apply job)    pipeline.github.environment               <env>
 *   GitHub environment (plan job)     pipeline.github.planEnvironment           <env>-plan
 *   GitHub runner label               pipeline.github.runsOn                    ubuntu-24.04
 *   open the vault to the runner      pipeline.github.agentNetworkAccess        true
 *
 * Per certificate, <name> being its name, <stem> the name lower-cased with "-" as "_" (mtls-backend:
 * mtls_backend, as in TF_VAR_mtls_backend_pfx_path) and <STEM> the stem upper-cased:
 *
 *   what                              setting (the certificate's entry)         default
 *   Azure DevOps secure file          secureFile                                apimcert-<env>-<name>.pfx (or .pem)
 *   ... its PFX password, a secret    passwordVariable                          <stem>_pfx_password
 *       variable of the variable group
 *   GitHub secrets (plan environment) githubSecretPrefix = <PREFIX>             <STEM>: <STEM>_PFX_BASE64 and
 *                                                                               <STEM>_PFX_PASSWORD, or <STEM>_PEM_BASE64
 *
 * Fixed names, not settings: the secret TF_PLAN_ENCRYPTION_KEY (in the variable group; in both GitHub
 * environments), and the GitHub variables AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID
 * (in both GitHub environments).
 */
export const CONVENTIONS = {
  order: 100,
  azureDevOps: {
    serviceConnection: (env: string) => `sc-apimcert-${env}`,
    variableGroup: (env: string) => `vg-apimcert-${env}`,
    environment: (env: string) => `apimcert-${env}`,
    pool: { vmImage: 'ubuntu-24.04' },
    agentNetworkAccess: true,
    secureFile: (env: string, certificate: string, format: CertificateFormat) => `apimcert-${env}-${certificate}.${format}`,
    passwordVariable: (stem: string) => `${stem}_pfx_password`,
  },
  github: {
    environment: (env: string) => env,
    planEnvironment: (env: string) => `${env}-plan`,
    runsOn: 'ubuntu-24.04',
    agentNetworkAccess: true,
    secretPrefix: (stem: string) => stem.toUpperCase(),
    azureVariables: ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID'],
  },
  planEncryptionKey: 'TF_PLAN_ENCRYPTION_KEY',
} as const;

export type CertificateFormat = 'pfx' | 'pem';
export type AzureDevOpsPool = { readonly vmImage: string } | { readonly name: string };

/** One certificate of an environment, with every pipeline name settled. */
export interface PipelineCertificate {
  readonly name: string;
  readonly stem: string;
  readonly format: CertificateFormat;
  readonly secureFile: string;
  /** The variable-group secret holding the PFX's password; none for a PEM (the plan derives one from the certificate and key: operations/pem-to-pfx.ts). */
  readonly passwordVariable?: string;
  /** The GitHub secrets the plan job reads: the file, base64, and for a PFX its password. */
  readonly githubSecrets: { readonly file: string; readonly password?: string };
}

/** One environment as the pipelines deploy it: the conventions applied, the overrides kept. */
export interface PipelineEnvironment {
  readonly name: string;
  readonly file: string;
  readonly order: number;
  /** The name with "-" as "_": Azure DevOps stage names allow letters, digits and "_" only. */
  readonly stageId: string;
  readonly certificates: readonly PipelineCertificate[];
  readonly azureDevOps: {
    readonly serviceConnection: string;
    /** The service connection's id when the environment gives it; otherwise AzureCLI@2's AZURESUBSCRIPTION_SERVICE_CONNECTION_ID. */
    readonly serviceConnectionId?: string;
    readonly variableGroup: string;
    readonly environment: string;
    readonly pool: AzureDevOpsPool;
    readonly agentNetworkAccess: boolean;
    readonly allowSharing: boolean;
  };
  readonly github: {
    readonly environment: string;
    readonly planEnvironment: string;
    readonly runsOn: string;
    readonly agentNetworkAccess: boolean;
    /** Why the apply may run without a required reviewer; undefined: it may not. */
    readonly allowUnreviewedApply?: string;
  };
  /** The vault (name, resource group) the stack's steps open: what runs on one machine or egress must take turns on. */
  readonly keyVault: string;
  /** The vault is reached through a private endpoint: the agents must resolve its name privately. */
  readonly privateEndpoint: boolean;
}

// The samples' ids: GUIDs whose first 24 characters are zeros, which no Azure object id or subscription has.
const PLACEHOLDER_ID = /^0{8}-0{4}-0{4}-0{4}-/;

/**
 * The fields of an environment that still hold a placeholder id (a sample's, or a copy of one): such an
 * environment cannot deploy, so the generated pipelines leave it out, and say so, instead of making every
 * environment after it wait for an apply that can only fail.
 */
export function placeholderFields(config: EnvironmentFile['config']): string[] {
  return [
    ...(config.subscriptionId && PLACEHOLDER_ID.test(config.subscriptionId) ? ['subscriptionId'] : []),
    ...(config.tenantId && PLACEHOLDER_ID.test(config.tenantId) ? ['tenantId'] : []),
    ...(config.deployers ?? []).flatMap((d, i) => (PLACEHOLDER_ID.test(d.objectId) ? [`deployers[${i}].objectId`] : [])),
  ];
}

/** The environment's pipeline names: each override as written, the convention for the rest. */
export function resolvePipelineEnvironment({ file, config }: EnvironmentFile): PipelineEnvironment {
  const { name, pipeline, certificates } = config;
  const ado = pipeline?.azureDevOps ?? {};
  const gh = pipeline?.github ?? {};
  const c = CONVENTIONS;
  return {
    name,
    file,
    order: pipeline?.order ?? c.order,
    stageId: name.replace(/-/g, '_'),
    certificates: certificates.map((certificate) => {
      const stem = variableStem(certificate.name);
      const format: CertificateFormat = certificate.format ?? 'pfx';
      const prefix = certificate.githubSecretPrefix ?? c.github.secretPrefix(stem);
      return {
        name: certificate.name,
        stem,
        format,
        secureFile: certificate.secureFile ?? c.azureDevOps.secureFile(name, certificate.name, format),
        ...(format === 'pfx' ? { passwordVariable: certificate.passwordVariable ?? c.azureDevOps.passwordVariable(stem) } : {}),
        githubSecrets: format === 'pfx' ? { file: `${prefix}_PFX_BASE64`, password: `${prefix}_PFX_PASSWORD` } : { file: `${prefix}_PEM_BASE64` },
      };
    }),
    azureDevOps: {
      serviceConnection: ado.serviceConnection ?? c.azureDevOps.serviceConnection(name),
      ...(ado.serviceConnectionId ? { serviceConnectionId: ado.serviceConnectionId } : {}),
      variableGroup: ado.variableGroup ?? c.azureDevOps.variableGroup(name),
      environment: ado.environment ?? c.azureDevOps.environment(name),
      pool: { ...(ado.pool ?? c.azureDevOps.pool) },
      agentNetworkAccess: ado.agentNetworkAccess ?? c.azureDevOps.agentNetworkAccess,
      allowSharing: ado.allowSharing ?? false,
    },
    github: {
      environment: gh.environment ?? c.github.environment(name),
      planEnvironment: gh.planEnvironment ?? c.github.planEnvironment(name),
      runsOn: gh.runsOn ?? c.github.runsOn,
      agentNetworkAccess: gh.agentNetworkAccess ?? c.github.agentNetworkAccess,
      ...(gh.allowUnreviewedApply ? { allowUnreviewedApply: gh.allowUnreviewedApply } : {}),
    },
    keyVault: `${config.keyVault.resourceGroupName ?? config.resourceGroup.name}/${config.keyVault.name}`.toLowerCase(),
    privateEndpoint: Boolean(config.keyVault.privateEndpoint),
  };
}
