import { ApiManagementApiPolicy } from '@cdktf/provider-azurerm/lib/api-management-api-policy';
import { ApiManagementBackend } from '@cdktf/provider-azurerm/lib/api-management-backend';
import { ApiManagementPolicyFragment } from '@cdktf/provider-azurerm/lib/api-management-policy-fragment';
// jsii renames the class: its natural name collides with the config interface of the same file.
import { ApiManagementCertificateA as ApiManagementCertificate } from '@cdktf/provider-azurerm/lib/api-management-certificate';
import { KeyVaultCertificate } from '@cdktf/provider-azurerm/lib/key-vault-certificate';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Fn, ITerraformDependable, TerraformOutput, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { IApiManagement } from './api-management';
import { IKeyVault } from './key-vault';
import { RbacPropagationWait } from './rbac-propagation-wait';
import { ConfigurationError } from './configuration-error';
import { validateAzureName, validateValue } from './validate-props';
import { ValueRules } from './value-rules';
import { certificateVariableNames, defaultFragmentName, IMPORTED_CERTIFICATE_POLICY, variableStem } from './certificate-names';
// Re-exported: the construct's public names (docs/constructs.md) stay where users of the construct look for them.
export { certificateSourceVariables, certificateVariableNames, defaultFragmentName, IMPORTED_CERTIFICATE_POLICY, pemSourceVariableName, variableStem } from './certificate-names';

/** What Key Vault accepts for an imported certificate's key. */
export type CertificateKey =
  | { readonly keyType: 'RSA'; readonly keySize?: 2048 | 3072 | 4096 }
  | { readonly keyType: 'EC'; readonly curve: 'P-256' | 'P-384' | 'P-521' | 'P-256K'; readonly acceptEcKeyRisk?: string };

export interface ClientCertificateBackendOptions {
  /** @default - the certificate's name */
  readonly name?: string;
  /** The backend's base URL; https, since the point is mutual TLS. */
  readonly url: string;
  /** @default true */
  readonly validateCertificateChain?: boolean;
  /** @default true */
  readonly validateCertificateName?: boolean;
}

export interface ClientCertificateApiPolicyOptions {
  /** The API (its name in APIM, not its display name) whose calls present the certificate. */
  readonly apiName: string;
  /**
   * Must be true: the API's whole policy document is replaced by one that only presents this certificate,
   * deleting whatever its owners put there (rate limits, JWT validation, rewrites). On an instance others
   * use too, leave `apiPolicy` out and have the API include the policy fragment instead.
   */
  readonly replaceWholePolicy: boolean;
}

export interface ClientCertificatePolicyFragmentOptions {
  /** @default "client-cert-<certificate name>" */
  readonly name?: string;
}

export interface ClientCertificateProps {
  /**
   * The certificate's name in Key Vault and in APIM: 1-127 letters, digits and hyphens. Key Vault also
   * creates a secret and a key of this name.
   */
  readonly name: string;
  readonly keyVault: IKeyVault;
  readonly apiManagement: IApiManagement;
  /**
   * The key inside the file, written into the certificate policy Key Vault keeps with it.
   * @default { keyType: "RSA", keySize: 2048 }
   */
  readonly key?: CertificateKey;
  /**
   * What the import must wait for: the deployer's role assignment and its propagation wait.
   * @default - nothing
   */
  readonly importAfter?: readonly ITerraformDependable[];
  /**
   * How long to wait between granting APIM read access and creating the APIM certificate.
   * @default - RbacPropagationWait's default (120 s)
   */
  readonly rbacPropagationWait?: string;
  /**
   * Key Vault e-mails the vault's certificate contacts this many days before the certificate expires
   * (the policy's lifetime action, EmailContacts). Set explicitly so that the service's own default
   * never shows up as a difference in a plan.
   * @default 30
   */
  readonly expiryNotificationDays?: number;
  /** @default - no backend */
  readonly backend?: ClientCertificateBackendOptions;
  /**
   * A policy fragment that presents the certificate (by name, so it survives rotation), for the API's owners
   * to include with `<include-fragment fragment-id="..." />` wherever they want it; it never touches their
   * policies.
   * @default - a fragment named "client-cert-<certificate name>"
   */
  readonly policyFragment?: ClientCertificatePolicyFragmentOptions;
  /**
   * Replaces one API's whole policy with one that includes the fragment. Opt-in only, see
   * `replaceWholePolicy`; security rule APIM4 warns at every synth naming the API.
   * @default - no API policy: nothing of the API's own policy is changed
   */
  readonly apiPolicy?: ClientCertificateApiPolicyOptions;
}

/**
 * A client certificate for mutual TLS from APIM to a backend: imported into Key Vault from a PFX file that
 * Terraform reads only at plan/apply time, readable by APIM's identity (that one secret only), and
 * registered in APIM by its versionless secret id so that APIM picks up a renewed certificate by itself.
 *
 *   file (TF_VAR_<stem>_pfx_path) + password (TF_VAR_<stem>_pfx_password, sensitive)
 *     → Key Vault certificate (stored as application/x-pkcs12) → APIM: Key Vault Secrets User on its secret
 *     → wait → APIM certificate → policy fragment → backend (optional) → API policy (optional)
 *
 * Always PKCS#12: API Management takes a Key Vault certificate only from a secret of type
 * application/x-pkcs12 (azurerm docs, `azurerm_api_management_certificate.key_vault_secret_id`), so a PEM
 * bundle is converted to PFX before Terraform runs (operations/pem-to-pfx.ts), never stored as PEM.
 */
export class ClientCertificate extends Construct {
  /** Terraform variable holding the path of the certificate file (TF_VAR_<this>). */
  readonly pathVariableName: string;
  /** Terraform variable holding the PFX password (TF_VAR_<this>). */
  readonly passwordVariableName: string;
  readonly keyVaultCertificate: KeyVaultCertificate;
  readonly apimAccess: RoleAssignment;
  readonly apiManagementCertificate: ApiManagementCertificate;
  readonly policyFragment: ApiManagementPolicyFragment;
  readonly backend?: ApiManagementBackend;
  readonly apiPolicy?: ApiManagementApiPolicy;

  constructor(scope: Construct, id: string, props: ClientCertificateProps) {
    super(scope, id);
    validateAzureName(this, 'name', 'keyVaultObject', props.name);
    validateValue(this, 'name', props.name, ValueRules.certificateNameStart);
    if (props.apiPolicy && props.apiPolicy.replaceWholePolicy !== true) {
      throw new ConfigurationError({
        source: this.node.path,
        field: 'apiPolicy.replaceWholePolicy',
        value: props.apiPolicy.replaceWholePolicy,
        rule: `must be true to replace the whole policy of API "${props.apiPolicy.apiName}", which deletes everything its owners put in it`,
        fix: `leave apiPolicy out and have the API include the policy fragment (<include-fragment fragment-id="${props.policyFragment?.name ?? defaultFragmentName(props.name)}" />), or set replaceWholePolicy: true if this stack alone owns that API's policy`,
      });
    }
    const key = props.key ?? { keyType: 'RSA', keySize: 2048 };
    const expiryDays = props.expiryNotificationDays ?? 30;
    validateValue(this, 'expiryNotificationDays', expiryDays, ValueRules.expiryNotificationDays);
    const stem = variableStem(props.name);
    const names = certificateVariableNames(props.name);

    const pathVariable = new TerraformVariable(this, 'PathVariable', {
      type: 'string',
      description: `Path of the PFX file for certificate "${props.name}", read with filebase64() at plan/apply time (a PEM bundle is converted to PFX first).`,
    });
    pathVariable.overrideLogicalId(names.path);
    this.pathVariableName = names.path;

    const passwordVariable = new TerraformVariable(this, 'PasswordVariable', {
      type: 'string',
      sensitive: true,
      description: `Password of the PFX file for certificate "${props.name}". Set TF_VAR_${names.password}; never commit it.`,
    });
    passwordVariable.overrideLogicalId(names.password);
    this.passwordVariableName = names.password;
    const password = passwordVariable.stringValue;

    this.keyVaultCertificate = new KeyVaultCertificate(this, 'KeyVaultCertificate', {
      name: props.name,
      keyVaultId: props.keyVault.keyVaultId,
      certificate: { contents: Fn.filebase64(pathVariable.stringValue), password },
      // Explicit, so Key Vault stores what APIM needs (an exportable key: APIM reads the private key
      // through the secret) and nothing is left to the service's defaults.
      certificatePolicy: {
        issuerParameters: { name: 'Unknown' },
        keyProperties: {
          exportable: IMPORTED_CERTIFICATE_POLICY.exportable,
          reuseKey: IMPORTED_CERTIFICATE_POLICY.reuseKey,
          keyType: key.keyType,
          keySize: key.keyType === 'RSA' ? key.keySize ?? 2048 : undefined,
          curve: key.keyType === 'EC' ? key.curve : undefined,
        },
        secretProperties: { contentType: IMPORTED_CERTIFICATE_POLICY.contentType },
        lifetimeAction: [{ action: { actionType: 'EmailContacts' }, trigger: { daysBeforeExpiry: expiryDays } }],
      },
      dependsOn: props.importAfter?.length ? [...props.importAfter] : undefined,
    });

    const apim = props.apiManagement;
    // The scope names the certificate resource's `name`, which makes the grant wait for the import:
    // Azure refuses a role assignment on a secret that does not exist yet.
    // A literal description: naming the instance through its resource would make the grant (and the
    // wait after it) wait for APIM's creation even when the identity is user-assigned and exists sooner.
    this.apimAccess = props.keyVault.grantSecretRead({ ...apim.keyVaultIdentity.principal, description: "API Management's identity" }, this.keyVaultCertificate.name, `ApimSecretRead-${props.name}`, {
      principalIsNew: apim.keyVaultIdentity.isNew,
    });
    const wait = new RbacPropagationWait(this, 'ApimAccessPropagation', {
      roleAssignments: [this.apimAccess],
      duration: props.rbacPropagationWait,
    });

    this.apiManagementCertificate = new ApiManagementCertificate(this, 'ApiManagementCertificate', {
      name: props.name,
      apiManagementName: apim.apiManagementName,
      resourceGroupName: apim.resourceGroupName,
      // Versionless: APIM polls Key Vault and follows a renewed certificate without a new apply.
      keyVaultSecretId: this.keyVaultCertificate.versionlessSecretId,
      keyVaultIdentityClientId: apim.keyVaultIdentity.clientId,
      dependsOn: [wait.sleep],
    });

    if (props.backend) this.backend = this.addBackend(props.name, apim, props.backend);
    this.policyFragment = this.addPolicyFragment(props.policyFragment?.name ?? defaultFragmentName(props.name), apim);
    if (props.apiPolicy) this.apiPolicy = this.addApiPolicy(apim, props.apiPolicy);

    const outputs: Record<string, { value: string; description: string }> = {
      thumbprint: { value: this.keyVaultCertificate.thumbprint, description: 'SHA-1 thumbprint (hex) of the imported certificate, as Key Vault reports it' },
      // one(...[*]) rather than [0]: null instead of an error while the attribute is not yet known.
      expires: { value: `\${one(${this.keyVaultCertificate.fqn}.certificate_attribute[*].expires)}`, description: 'Expiry of the imported certificate (RFC 3339)' },
      versionless_secret_id: { value: this.keyVaultCertificate.versionlessSecretId, description: 'https://<vault>.vault.azure.net/secrets/<name>: the id APIM follows across renewals' },
      apim_certificate_id: { value: this.apiManagementCertificate.id, description: 'Azure resource id of the certificate in API Management' },
      ...(this.backend ? { backend_id: { value: this.backend.id, description: 'Azure resource id of the APIM backend that presents the certificate (by thumbprint)' } } : {}),
      policy_fragment_include: {
        value: `<include-fragment fragment-id="${this.policyFragment.name}" />`,
        description: "The line an API's owners put in its inbound policy to present this certificate",
      },
    };
    for (const [suffix, output] of Object.entries(outputs)) {
      new TerraformOutput(this, `Output-${suffix}`, output).overrideLogicalId(`${stem}_${suffix}`);
    }
  }

  private addBackend(certificateName: string, apim: IApiManagement, options: ClientCertificateBackendOptions): ApiManagementBackend {
    const name = options.name ?? certificateName;
    validateAzureName(this, 'backend.name', 'apiManagementBackend', name);
    validateValue(this, 'backend.url', options.url, ValueRules.httpsUrl);
    return new ApiManagementBackend(this, 'Backend', {
      name,
      apiManagementName: apim.apiManagementName,
      resourceGroupName: apim.resourceGroupName,
      protocol: 'http',
      url: options.url,
      tls: {
        validateCertificateChain: options.validateCertificateChain ?? true,
        validateCertificateName: options.validateCertificateName ?? true,
      },
      // The backend API takes thumbprints: a renewed certificate is picked up by the next apply. The
      // API policy below refers to the certificate by name and follows renewals at once.
      credentials: { certificate: [this.apiManagementCertificate.thumbprint] },
    });
  }

  private addPolicyFragment(name: string, apim: IApiManagement): ApiManagementPolicyFragment {
    validateValue(this, 'policyFragment.name', name, ValueRules.policyFragmentName);
    const setBackend = this.backend ? `\n  <set-backend-service backend-id="${this.backend.name}" />` : '';
    return new ApiManagementPolicyFragment(this, 'PolicyFragment', {
      name,
      apiManagementId: apim.apiManagementId,
      format: 'xml',
      description: `Presents client certificate ${this.node.id.replace(/^Certificate-/, '')} (managed by Terraform)`,
      // certificate-id, not thumbprint: Microsoft's guidance for Key Vault certificates, whose thumbprint
      // changes on renewal. Referencing the resource's name orders the fragment after the certificate.
      value: `<fragment>${setBackend}
  <authentication-certificate certificate-id="${this.apiManagementCertificate.name}" />
</fragment>`,
    });
  }

  private addApiPolicy(apim: IApiManagement, options: ClientCertificateApiPolicyOptions): ApiManagementApiPolicy {
    validateValue(this, 'apiPolicy.apiName', options.apiName, ValueRules.apiName);
    return new ApiManagementApiPolicy(this, 'ApiPolicy', {
      apiName: options.apiName,
      apiManagementName: apim.apiManagementName,
      resourceGroupName: apim.resourceGroupName,
      // The fragment holds the certificate's part, so the two never disagree.
      xmlContent: `<policies>
  <inbound>
    <base />
    <include-fragment fragment-id="${this.policyFragment.name}" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>`,
    });
  }
}

