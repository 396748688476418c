import { variableStem } from '../../constructs/client-certificate';
import type { EnvironmentFile } from './pipeline-settings';

/**
 * The naming conventions of the generated pipelines: every default in one place. An environment file
 * overrides any of them in its `pipeline` settings, and each certificate its own names.
 *
 * Per environment, <env> being its name:
 *
 *   what                              setting (environment file)                default
 *   promotion order                   pipeline.order                            100; ties by <env>
 *   Azure DevOps service connection   pipeline.azureDevOps.serviceConnection    sc-apimcert-<env>
 *   ... its id (GUID)                 pipeline.azureDevOps.serviceConnectionId  $(SERVICE_CONNECTION_ID): a variable
 *                                                                               of the variable group, read at run time
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
    serviceConnectionIdVariable: 'SERVICE_CONNECTION_ID',
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
  /** The variable-group secret holding the PFX's password; none for a PEM (the plan makes a one-time one). */
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
    /** A GUID, or the runtime macro $(SERVICE_CONNECTION_ID). */
    readonly serviceConnectionId: string;
    readonly variableGroup: string;
    readonly environment: string;
    readonly pool: AzureDevOpsPool;
    readonly agentNetworkAccess: boolean;
  };
  readonly github: {
    readonly environment: string;
    readonly planEnvironment: string;
    readonly runsOn: string;
    readonly agentNetworkAccess: boolean;
  };
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
      serviceConnectionId: ado.serviceConnectionId ?? `$(${c.azureDevOps.serviceConnectionIdVariable})`,
      variableGroup: ado.variableGroup ?? c.azureDevOps.variableGroup(name),
      environment: ado.environment ?? c.azureDevOps.environment(name),
      pool: { ...(ado.pool ?? c.azureDevOps.pool) },
      agentNetworkAccess: ado.agentNetworkAccess ?? c.azureDevOps.agentNetworkAccess,
    },
    github: {
      environment: gh.environment ?? c.github.environment(name),
      planEnvironment: gh.planEnvironment ?? c.github.planEnvironment(name),
      runsOn: gh.runsOn ?? c.github.runsOn,
      agentNetworkAccess: gh.agentNetworkAccess ?? c.github.agentNetworkAccess,
    },
  };
}
