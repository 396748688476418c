import * as v from 'valibot';
import { PRINCIPAL_TYPES } from '../constructs/principal';

/**
 * One environment: everything that differs between dev, test and prod, as plain data. Each file in
 * environments/ exports one of these as its default export.
 *
 * This schema is the single source of both the TypeScript type (`EnvironmentConfig`) and its runtime
 * check: synth does not type-check, so every key and every enum is checked here when the environments are
 * loaded (config/validate-environment.ts turns each problem into one line). valibot rather than zod:
 * the same typed, strict object schemas, and it loads in about 6 ms against zod 4's 50-80 ms, which every
 * synth would pay (the synth benchmark allows 2x the cost of loading cdktf itself).
 *
 * Values are checked for shape here; Azure's naming and value rules (constructs/azure-names.ts,
 * constructs/value-rules.ts) and the rules between fields are applied by validate-environment.ts, from
 * the same tables the constructs use.
 *
 * Azure names follow the Cloud Adoption Framework abbreviations: rg-, kv-, apim-, id-.
 */

/** An object whose keys are exactly these: an unknown key is named with the closest known one. */
function strictObject<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    // The same issue type reports a required key that is missing (expected: the key) and an unknown one.
    if (issue.expected !== 'never') return encode('is required', 'set it');
    const key = String(issue.input);
    const closest = closestKey(key, known);
    return encode(
      `is not a known setting${closest ? ` (did you mean "${closest}"?)` : ''}; the known ones here are ${known.join(', ')}`,
      closest ? `rename it to "${closest}"` : 'remove it',
    );
  });
}

/** The rule and the fix travel in one valibot message, split again by validate-environment.ts. */
export const MESSAGE_SEPARATOR = '\u241f';
const encode = (rule: string, fix: string) => `${rule}${MESSAGE_SEPARATOR}${fix}`;

const text = (fix = 'write it as a string in quotes') => v.string(encode('must be a string', fix));
const flag = () => v.boolean(encode('must be true or false', 'write true or false, without quotes'));
function oneOf<const T extends readonly (string | number)[]>(values: T, fix: string) {
  return v.picklist(values, encode(`must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, fix));
}

const resourceGroup = strictObject({
  name: text(),
  /** @default false: the group is created by this stack */
  existing: v.optional(flag()),
});

const keyVault = strictObject({
  /** Globally unique, 3-24 characters: "kv-<workload>-<env>". */
  name: text(),
  /** @default false: the vault is created by this stack, with secure defaults */
  existing: v.optional(flag()),
  /** @default - the environment's resource group */
  resourceGroupName: v.optional(text()),
  /** @default "standard" (only for a vault created here) */
  skuName: v.optional(oneOf(['standard', 'premium'] as const, 'use "standard", or "premium" for HSM-backed keys')),
  /** @default true (only for a vault created here) */
  purgeProtectionEnabled: v.optional(flag()),
  /** @default 90 (only for a vault created here) */
  softDeleteRetentionDays: v.optional(v.number(encode('must be a number of days', 'write a whole number from 7 to 90, without quotes'))),
  /** @default true (only for a vault created here) */
  publicNetworkAccessEnabled: v.optional(flag()),
  /**
   * The vault's firewall (only for a vault created here). With it on (the default), API Management must
   * read the vault with its system-assigned identity: Microsoft lets no user-assigned identity through a
   * Key Vault firewall. Deployers reach it through `ipRules`, the pipeline's temporary agent rule, or a
   * private endpoint.
   * @default { defaultAction: "Deny", bypass: "AzureServices" }
   */
  networkAcls: v.optional(
    strictObject({
      defaultAction: oneOf(['Allow', 'Deny'] as const, 'use "Deny" (the secure default) or "Allow"'),
      /**
       * Public IPv4 addresses or CIDR ranges of whoever imports the certificates. Written at creation;
       * later additions are added by the pipeline's vault-network step (Terraform ignores changes to the
       * list so that it never removes an agent's temporary rule mid-apply).
       */
      ipRules: v.optional(v.array(text(), encode('must be a list', 'write ["203.0.113.10"]'))),
      bypass: v.optional(oneOf(['AzureServices', 'None'] as const, 'use "AzureServices" so trusted services such as API Management pass')),
    }),
  ),
  /** A private endpoint for a vault created here, for teams whose agents run in a private network. @default - none */
  privateEndpoint: v.optional(
    strictObject({
      /** Resource id of the subnet for the endpoint. */
      subnetId: text(),
      /** Resource id of the privatelink.vaultcore.azure.net private DNS zone. */
      privateDnsZoneId: text(),
      /** @default "pe-<vault name>" */
      name: v.optional(text()),
    }),
  ),
});

const systemAssigned = strictObject({ type: v.literal('SystemAssigned') });
const userAssigned = strictObject({
  type: v.literal('UserAssigned'),
  /** "id-<workload>-<env>" */
  name: text(),
  /** @default false: the identity is created by this stack */
  existing: v.optional(flag()),
  /** @default - the environment's resource group */
  resourceGroupName: v.optional(text()),
});

const apiManagement = strictObject({
  /** Globally unique, 1-50 characters: "apim-<workload>-<env>". */
  name: text(),
  /** @default false: the instance is created by this stack */
  existing: v.optional(flag()),
  /** @default - the environment's resource group */
  resourceGroupName: v.optional(text()),
  /** Required when the instance is created here; not allowed for an existing one. */
  publisherName: v.optional(text()),
  /** Required when the instance is created here; not allowed for an existing one. */
  publisherEmail: v.optional(text()),
  /** @default "Developer_1" (only for an instance created here) */
  skuName: v.optional(text()),
  /**
   * The identity APIM reads Key Vault with. A user-assigned identity only works against a vault without
   * firewall (API Management docs, "Requirements for Key Vault firewall"); synth (created vault) or plan
   * (existing vault) fails otherwise.
   * @default { type: "SystemAssigned" }
   */
  identity: v.optional(
    v.variant('type', [systemAssigned, userAssigned], encode('must have type "SystemAssigned" or "UserAssigned"', 'write { type: "SystemAssigned" }, or { type: "UserAssigned", name: "id-..." }')),
  ),
});

const deployer = strictObject({
  /** The principal's object id (for a service principal: the enterprise application's object id). */
  objectId: text(),
  type: oneOf(PRINCIPAL_TYPES, 'use "ServicePrincipal" for a pipeline or managed identity, "User" for a person, "Group" for a group'),
  /** Who this is, for people reading the role assignment: "pipeline ado-prod", "jane@contoso.com". */
  description: v.optional(text()),
});

const rsaKey = strictObject({
  keyType: v.literal('RSA'),
  /** @default 2048 */
  keySize: v.optional(oneOf([2048, 3072, 4096] as const, 'use 2048, 3072 or 4096 (what Key Vault accepts for RSA)')),
});
const ecKey = strictObject({
  keyType: v.literal('EC'),
  curve: oneOf(['P-256', 'P-384', 'P-521', 'P-256K'] as const, 'use "P-256", "P-384", "P-521" or "P-256K" (the curves Key Vault accepts)'),
  /**
   * Required for an EC key: why this environment accepts that re-deploying an APIM certificate whose key
   * is EC has been reported to fail with HTTP 500 after a wait of over two hours (see docs/constructs.md,
   * "EC keys"). Without it synth refuses the EC key.
   */
  acceptEcKeyRisk: v.optional(text()),
});

const certificate = strictObject({
  /** Name in Key Vault and APIM: letters, digits, hyphens, starting with a letter. */
  name: text(),
  /**
   * "pfx": a PKCS#12 file with its password (TF_VAR_<stem>_pfx_path, TF_VAR_<stem>_pfx_password).
   * "pem": certificate chain and unencrypted PKCS#8 key in one file (PEM_FILE_<stem>), which the
   * workstation commands and the pipelines convert to a PFX before Terraform runs, the same bytes every
   * run (operations/pem-to-pfx.ts). Key Vault always stores a PFX (PKCS#12), the only type APIM reads.
   * @default "pfx"
   */
  format: v.optional(oneOf(['pfx', 'pem'] as const, 'use "pfx" for a PKCS#12 file, "pem" for a PEM bundle')),
  /** @default { keyType: "RSA", keySize: 2048 } */
  key: v.optional(v.variant('keyType', [rsaKey, ecKey], encode('must have keyType "RSA" or "EC"', 'write { keyType: "RSA", keySize: 2048 } or { keyType: "EC", curve: "P-256" }'))),
  /** @default - no backend */
  backend: v.optional(
    strictObject({
      /** @default - the certificate's name */
      name: v.optional(text()),
      url: text(),
      /** @default true */
      validateCertificateChain: v.optional(flag()),
      /** @default true */
      validateCertificateName: v.optional(flag()),
    }),
  ),
  /**
   * The policy fragment that presents the certificate; the API's owners add
   * `<include-fragment fragment-id="<name>" />` to their policy.
   * @default { name: "client-cert-<certificate name>" }
   */
  policyFragment: v.optional(strictObject({ name: v.optional(text()) })),
  /**
   * Replace this API's whole policy with one that includes the fragment. Deletes everything the API's
   * owners put in its policy, so it needs `replaceWholePolicy: true`, and synth warns (rule APIM4).
   * @default - no API policy
   */
  apiPolicy: v.optional(strictObject({ apiName: text(), replaceWholePolicy: v.optional(flag()) })),
  /** Azure DevOps secure file holding the certificate. @default "apimcert-<env>-<certificate name>.<pfx|pem>" */
  secureFile: v.optional(text()),
  /** Azure DevOps variable-group secret holding a PFX's password. @default "<stem>_pfx_password" */
  passwordVariable: v.optional(text()),
  /** GitHub secrets <prefix>_PFX_BASE64 and <prefix>_PFX_PASSWORD (or <prefix>_PEM_BASE64). @default "<STEM>" */
  githubSecretPrefix: v.optional(text()),
});

const remoteState = strictObject({
  resourceGroupName: text(),
  storageAccountName: text(),
  /** @default "tfstate" */
  containerName: v.optional(text()),
  /** @default "<environment name>.tfstate" */
  key: v.optional(text()),
});

const policySuppression = strictObject({
  /** The rule id: "AKV3". */
  rule: text(),
  /** A Terraform address ("azurerm_key_vault.KeyVault"); @default - every block the rule looks at */
  address: v.optional(text()),
  /** Why breaking the rule is right here; shown whenever the rule would have fired. */
  reason: text(),
});

const pipeline = strictObject({
  /** Promotion order: lower deploys first; ties by environment name. @default 100 */
  order: v.optional(v.number(encode('must be a number', 'write a whole number, lower deploys first'))),
  azureDevOps: v.optional(
    strictObject({
      /** @default "sc-apimcert-<env>" */
      serviceConnection: v.optional(text()),
      /** The service connection's id (GUID). @default - $(SERVICE_CONNECTION_ID) from the variable group */
      serviceConnectionId: v.optional(text()),
      /** @default "vg-apimcert-<env>" */
      variableGroup: v.optional(text()),
      /** Azure DevOps environment (approvals) of the apply stage. @default "apimcert-<env>" */
      environment: v.optional(text()),
      /** @default { vmImage: "ubuntu-24.04" } */
      pool: v.optional(v.union([strictObject({ vmImage: text() }), strictObject({ name: text() })], encode('must be { vmImage: "..." } or { name: "<pool>" }', 'write { vmImage: "ubuntu-24.04" } or { name: "my-agents" }'))),
      /** @default true */
      agentNetworkAccess: v.optional(flag()),
      /**
       * Let this environment share its Azure DevOps environment, variable group or secure files with another
       * environment. Off, two environments sharing one are refused: an approval of one would gate the
       * other, and one environment's secrets would be the other's.
       * @default false
       */
      allowSharing: v.optional(flag()),
    }),
  ),
  github: v.optional(
    strictObject({
      /** GitHub environment of the apply job (required reviewers). @default "<env>" */
      environment: v.optional(text()),
      /** GitHub environment of the plan job. @default "<env>-plan" */
      planEnvironment: v.optional(text()),
      /** @default "ubuntu-24.04" */
      runsOn: v.optional(text()),
      /** @default true */
      agentNetworkAccess: v.optional(flag()),
      /**
       * Why this environment's apply may run without a required reviewer. GitHub offers required reviewers
       * on private and internal repositories with GitHub Enterprise only; without one, the apply job would
       * start unreviewed right after the plan, so the generated apply job stops, naming the setting, unless
       * this says the team accepts that. @default - unreviewed applies are refused
       */
      allowUnreviewedApply: v.optional(text()),
    }),
  ),
});

export const environmentSchema = strictObject({
  /** The stack's name: `cdktf.out/stacks/<name>`; the file's name (environments/<name>.ts). Lowercase letters, digits, hyphens. */
  name: text(),
  /** The subscription to deploy into. @default - ARM_SUBSCRIPTION_ID, or the `az login` default subscription */
  subscriptionId: v.optional(text()),
  /** The Entra ID tenant of the Key Vault. @default - the tenant of the credentials Terraform runs with */
  tenantId: v.optional(text()),
  /** Azure region, as `az account list-locations` names it: "westeurope". */
  location: text(),
  resourceGroup,
  keyVault,
  apiManagement,
  /**
   * Who applies this stack and so imports the certificates: each gets Key Vault Certificates Officer
   * on the vault. List the pipeline's service principal and, for personal environments, people.
   */
  deployers: v.array(deployer, encode('must be a list', 'write [] or [{ objectId: "...", type: "ServicePrincipal" }]')),
  /**
   * Also grant whoever runs Terraform (azurerm_client_config). Handy for a personal environment; leave
   * it off where a pipeline and people both apply, or the assignment flips between them.
   * @default false
   */
  grantCurrentCaller: v.optional(flag()),
  /**
   * How long to wait for a new role assignment to take effect before using it ("120s", "3m"): from 30
   * seconds to 15 minutes; under 60 seconds is warned about.
   * @default "120s"
   */
  rbacPropagationWait: v.optional(text()),
  certificates: v.array(certificate, encode('must be a list', 'write [{ name: "mtls-backend" }]')),
  /** Tags on every resource this stack creates. @default - none */
  tags: v.optional(v.record(v.string(), text(), encode('must be an object of tag names to values', 'write { environment: "dev" }'))),
  /**
   * Remote state in an Azure Storage account (Entra ID auth, no access keys, blob lease locking).
   * @default - local state (terraform.<name>.tfstate), or whatever `terraform init -backend-config` supplies
   */
  state: v.optional(remoteState),
  /**
   * Security rules (policies/) this environment knowingly breaks, each with the reason. The reason is
   * printed whenever the rule would have fired.
   * @default - none: every rule applies
   */
  policySuppressions: v.optional(v.array(policySuppression, encode('must be a list', 'write [{ rule: "AKV3", reason: "..." }]'))),
  /**
   * How nobody is surprised by an expiry: Key Vault e-mails the vault's certificate contacts before a
   * certificate expires (each certificate's policy has the lifetime action), and optionally sends its
   * NearExpiry/Expired events to a webhook through Event Grid.
   * @default { daysBeforeExpiry: 30 }: the lifetime action, and no contacts set by this stack
   */
  expiryWarnings: v.optional(
    strictObject({
      /** Days before expiry that Key Vault e-mails the contacts. @default 30 */
      daysBeforeExpiry: v.optional(v.number(encode('must be a number of days', 'write a whole number from 1 to 365, without quotes'))),
      /**
       * The vault's certificate contacts (the whole list: it replaces what the vault has). Set for a vault
       * created here; for an existing vault only with manageExistingVaultContacts.
       */
      contacts: v.optional(v.array(strictObject({ email: text(), name: v.optional(text()), phone: v.optional(text()) }), encode('must be a list', 'write [{ email: "platform@contoso.example" }]'))),
      /** Let this stack own an existing vault's certificate contacts. @default false */
      manageExistingVaultContacts: v.optional(flag()),
      /** https URL that receives Microsoft.KeyVault.CertificateNearExpiry and CertificateExpired events. @default - none */
      eventGridWebhookUrl: v.optional(text()),
    }),
  ),
  /** How the generated pipelines (npm run pipelines) deploy this environment. @default - the conventions */
  pipeline: v.optional(pipeline),
});

export type EnvironmentConfig = Readonly<v.InferInput<typeof environmentSchema>>;
export type ResourceGroupConfig = EnvironmentConfig['resourceGroup'];
export type KeyVaultConfig = EnvironmentConfig['keyVault'];
export type ApiManagementConfig = EnvironmentConfig['apiManagement'];
export type ApiManagementIdentityConfig = NonNullable<ApiManagementConfig['identity']>;
export type DeployerConfig = EnvironmentConfig['deployers'][number];
export type CertificateConfig = EnvironmentConfig['certificates'][number];
export type CertificateSourceFormat = NonNullable<CertificateConfig['format']>;
export type RemoteStateConfig = NonNullable<EnvironmentConfig['state']>;
export type PolicySuppression = NonNullable<EnvironmentConfig['policySuppressions']>[number];
export type PipelineConfig = NonNullable<EnvironmentConfig['pipeline']>;

/**
 * Whether a vault created from these settings has its firewall on: default action Deny (the default), or
 * public network access off. Only known for a vault this stack creates.
 */
export function vaultFirewallOn(keyVault: KeyVaultConfig): boolean {
  return (keyVault.networkAcls?.defaultAction ?? 'Deny') === 'Deny' || keyVault.publicNetworkAccessEnabled === false;
}

/** The known key nearest to a misspelled one (edit distance at most a third of its length), if any. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
