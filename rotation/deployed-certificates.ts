import fs from 'node:fs';
import { printable } from '../text/printable';
/**
 * What a deployed stack holds, read from `terraform show -json` of its state (Terraform's JSON output
 * format: values.root_module.resources[], each with type, name and the provider's attribute values).
 * No state yet (a stack never applied) reads as no certificates.
 */

export interface DeployedCertificate {
  /** The certificate's name in Key Vault and APIM. */
  readonly name: string;
  readonly keyVault?: {
    /** SHA-1, uppercase hex, as Key Vault reports it for the current version. */
    readonly thumbprint: string;
    /** RFC 3339. */
    readonly expires?: string;
    readonly version?: string;
    /** The key Key Vault's policy holds for it: "RSA 2048", "EC P-256". */
    readonly key?: string;
    readonly contentType?: string;
  };
  readonly apiManagement?: {
    readonly thumbprint: string;
    readonly expires?: string;
  };
}

interface StateResource {
  readonly type?: string;
  readonly mode?: string;
  readonly values?: Record<string, any>;
}

/** Thrown for a document that is not `terraform show -json` output. */
export class StateDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDocumentError';
  }
}

export function deployedCertificates(state: unknown): DeployedCertificate[] {
  if (state === null || typeof state !== 'object' || !('format_version' in state)) {
    throw new StateDocumentError('is not `terraform show -json` output (no format_version)');
  }
  const resources = ((state as { values?: { root_module?: { resources?: StateResource[] } } }).values?.root_module?.resources ?? []).filter(
    (r) => r.mode === undefined || r.mode === 'managed',
  );
  const byName = new Map<string, { keyVault?: DeployedCertificate['keyVault']; apiManagement?: DeployedCertificate['apiManagement'] }>();
  const entry = (name: string) => byName.get(name) ?? byName.set(name, {}).get(name)!;
  for (const resource of resources) {
    const values = resource.values ?? {};
    if (resource.type === 'azurerm_key_vault_certificate' && typeof values.name === 'string') {
      const policy = values.certificate_policy?.[0];
      const key = policy?.key_properties?.[0];
      entry(values.name).keyVault = {
        thumbprint: String(values.thumbprint ?? '').toUpperCase(),
        expires: values.certificate_attribute?.[0]?.expires,
        version: values.version,
        key: key ? (key.key_type === 'EC' ? `EC ${key.curve}` : `RSA ${key.key_size}`) : undefined,
        contentType: policy?.secret_properties?.[0]?.content_type,
      };
    } else if (resource.type === 'azurerm_api_management_certificate' && typeof values.name === 'string') {
      entry(values.name).apiManagement = { thumbprint: String(values.thumbprint ?? '').toUpperCase(), expires: values.expiration };
    }
  }
  return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, parts]) => ({ name, ...parts }));
}

/**
 * The certificates of the state document in `file`. Whatever goes wrong (no file, no JSON, not
 * `terraform show -json` output) is one StateDocumentError naming the file and the fix.
 */
export function readDeployedCertificates(file: string): DeployedCertificate[] {
  try {
    return deployedCertificates(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    throw new StateDocumentError(
      `${printable(file)}: ${printable((error as Error).message.split('\n')[0])}. Fix: pass the output of \`terraform show -json\` run in the stack's directory`,
    );
  }
}

/** "8F3A…91C2": enough of a thumbprint to tell two apart at a glance. */
export function shortThumbprint(thumbprint: string): string {
  return thumbprint.length > 8 ? `${thumbprint.slice(0, 4)}…${thumbprint.slice(-4)}` : thumbprint;
}

/** "2027-12-01" from an RFC 3339 time. */
export function day(rfc3339: string | undefined): string {
  return rfc3339 ? rfc3339.slice(0, 10) : 'unknown';
}
