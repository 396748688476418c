import { readBoundedFile } from '../operations/bounded-file';
import { parseJson } from '../operations/json-document';
import { StepFailure } from '../operations/step-failure';
import { printable } from '../text/printable';

/**
 * What a deployed stack holds, read from `terraform show -json` of its state (Terraform's JSON output
 * format: values.root_module.resources[], each with type, name and the provider's attribute values), or
 * from the `prior_state` of a refresh-only plan.
 *
 * The document comes from the state blob, which anyone with write access to the storage account can
 * change: every value that reaches a log, a summary or a decision is shape-checked here. A value of the
 * wrong shape is not passed on as text: it becomes null and a problem naming the certificate, so the
 * report fails closed instead of printing it.
 */
export interface DeployedCertificate {
  /** The certificate's name in Key Vault and APIM (letters, digits, hyphens). */
  readonly name: string;
  readonly keyVault?: {
    /** SHA-1, 40 upper-case hex digits, as Key Vault reports it for the current version; null when the state's value is not one. */
    readonly thumbprint: string | null;
    /** RFC 3339; null when missing or not a time. */
    readonly expires: string | null;
    /** The policy Key Vault keeps for the certificate, as "RSA 2048" or "EC P-256"; null when unreadable. */
    readonly key: string | null;
    readonly contentType: string | null;
    readonly exportable: boolean | null;
    readonly reuseKey: boolean | null;
    /** The imported file and its password as the state holds them (sensitive: never printed). */
    readonly imported?: { readonly contents: string; readonly password: string };
  };
  readonly apiManagement?: {
    readonly thumbprint: string | null;
    readonly expires: string | null;
  };
  /** Why a value of this certificate could not be believed (escaped, safe to print). */
  readonly problems: readonly string[];
}

/** Thrown for a document that is not `terraform show -json` output. */
export class StateDocumentError extends StepFailure {
  constructor(message: string) {
    super(message, 2);
    this.name = 'StateDocumentError';
  }
}

const CERTIFICATE_NAME = /^[0-9A-Za-z-]{1,127}$/;
const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const CURVES = new Set(['P-256', 'P-384', 'P-521', 'P-256K']);
const RSA_SIZES = new Set([2048, 3072, 4096]);
// A state of a stack with hundreds of certificates is a few MiB; far more is not this project's state.
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

type Values = Record<string, unknown>;

const first = (value: unknown): Values | undefined => (Array.isArray(value) && value[0] && typeof value[0] === 'object' ? (value[0] as Values) : undefined);

export function thumbprintValue(value: unknown): string | null {
  return typeof value === 'string' && THUMBPRINT.test(value) ? value.toUpperCase() : null;
}

export function timeValue(value: unknown): string | null {
  return typeof value === 'string' && RFC3339.test(value) && Number.isFinite(Date.parse(value)) ? value : null;
}

function keyValue(key: Values | undefined): string | null {
  if (!key) return null;
  if (key.key_type === 'EC' || key.key_type === 'EC-HSM') return typeof key.curve === 'string' && CURVES.has(key.curve) ? `EC ${key.curve}` : null;
  if (key.key_type === 'RSA' || key.key_type === 'RSA-HSM') return Number.isInteger(key.key_size) && RSA_SIZES.has(key.key_size as number) ? `RSA ${key.key_size}` : null;
  return null;
}

/** The managed resources of a state document (or of a plan's prior_state), or a StateDocumentError. */
function stateResources(state: unknown): Values[] {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new StateDocumentError('is not `terraform show -json` output (not a JSON object)');
  const document = state as Values;
  if (!('format_version' in document)) throw new StateDocumentError('is not `terraform show -json` output (no format_version)');
  // A plan's document: the state as refreshed before planning.
  const values = ('prior_state' in document ? (document.prior_state as Values | undefined)?.values : document.values) as Values | undefined;
  // A stack never applied has no values at all: no certificates.
  if (values === undefined) return [];
  const root = (values as Values).root_module as Values | undefined;
  if (root === undefined) return [];
  if (typeof root !== 'object' || root === null) throw new StateDocumentError('has a root_module that is not an object');
  const resources = root.resources ?? [];
  if (!Array.isArray(resources)) throw new StateDocumentError('has values.root_module.resources that is not a list');
  return resources.filter((r): r is Values => r !== null && typeof r === 'object' && (r.mode === undefined || r.mode === 'managed'));
}

export function deployedCertificates(state: unknown): DeployedCertificate[] {
  const byName = new Map<string, { keyVault?: DeployedCertificate['keyVault']; apiManagement?: DeployedCertificate['apiManagement']; problems: string[] }>();
  const entry = (name: string) => byName.get(name.toLowerCase()) ?? byName.set(name.toLowerCase(), { problems: [] }).get(name.toLowerCase())!;
  const names = new Map<string, string>();
  for (const resource of stateResources(state)) {
    const values = (resource.values ?? {}) as Values;
    const type = resource.type;
    if (type !== 'azurerm_key_vault_certificate' && type !== 'azurerm_api_management_certificate') continue;
    if (typeof values.name !== 'string' || !CERTIFICATE_NAME.test(values.name)) {
      throw new StateDocumentError(`holds an ${type} whose name ${printable(JSON.stringify(String(values.name)).slice(0, 40))} is not a certificate name`);
    }
    const name = values.name;
    names.set(name.toLowerCase(), name);
    const at = entry(name);
    if (type === 'azurerm_key_vault_certificate') {
      if (at.keyVault) {
        at.problems.push(`${name}: the state holds two Key Vault certificates of this name`);
        continue;
      }
      const policy = first(values.certificate_policy);
      const keyProperties = first(policy?.key_properties);
      const secretProperties = first(policy?.secret_properties);
      const imported = first(values.certificate);
      const thumbprint = thumbprintValue(values.thumbprint);
      const expires = timeValue(first(values.certificate_attribute)?.expires);
      if (thumbprint === null) at.problems.push(`${name}: Key Vault's thumbprint in the state is not 40 hexadecimal digits`);
      if (expires === null) at.problems.push(`${name}: Key Vault's expiry in the state is missing or not an RFC 3339 time`);
      at.keyVault = {
        thumbprint,
        expires,
        key: keyValue(keyProperties),
        contentType: typeof secretProperties?.content_type === 'string' && /^[\w.+/-]{1,64}$/.test(secretProperties.content_type) ? secretProperties.content_type : null,
        exportable: typeof keyProperties?.exportable === 'boolean' ? keyProperties.exportable : null,
        reuseKey: typeof keyProperties?.reuse_key === 'boolean' ? keyProperties.reuse_key : null,
        ...(imported && typeof imported.contents === 'string' && typeof imported.password === 'string' ? { imported: { contents: imported.contents, password: imported.password } } : {}),
      };
    } else {
      if (at.apiManagement) {
        at.problems.push(`${name}: the state holds two API Management certificates of this name`);
        continue;
      }
      const thumbprint = thumbprintValue(values.thumbprint);
      if (thumbprint === null) at.problems.push(`${name}: API Management's thumbprint in the state is not 40 hexadecimal digits`);
      at.apiManagement = { thumbprint, expires: timeValue(values.expiration) };
    }
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, parts]) => ({ name: names.get(key)!, ...parts }));
}

/** The state document (or plan) JSON text, parsed; errors name a position, never quote content. */
export function parseStateDocument(text: string, source: string): unknown {
  const json = parseJson(text);
  if (!json.ok) throw new StateDocumentError(`${printable(source)} is not JSON (${json.where}). Fix: pass the output of \`terraform show -json\` run in the stack's directory`);
  return json.value;
}

/**
 * The certificates of the state document in `file`, read like the pre-flight reads certificates: one
 * open, a regular file only, at most MAX_STATE_BYTES. Every failure is one StateDocumentError (exit 2).
 */
export function readDeployedCertificates(file: string): DeployedCertificate[] {
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, MAX_STATE_BYTES, 'state document');
  } catch (error) {
    throw new StateDocumentError(`${printable((error as Error).message)}. Fix: pass the output of \`terraform show -json\` run in the stack's directory`);
  }
  try {
    return deployedCertificates(parseStateDocument(bytes.toString('utf8'), file));
  } catch (error) {
    if (error instanceof StateDocumentError && !error.message.startsWith(printable(file))) {
      throw new StateDocumentError(`${printable(file)}: ${error.message}. Fix: pass the output of \`terraform show -json\` run in the stack's directory`);
    }
    throw error;
  }
}

/** "8F3A…91C2": enough of a thumbprint to tell two apart at a glance; "unknown" for one that was not believed. */
export function shortThumbprint(thumbprint: string | null | undefined): string {
  if (!thumbprint || !THUMBPRINT.test(thumbprint)) return 'unknown';
  return `${thumbprint.slice(0, 4)}…${thumbprint.slice(-4)}`;
}

/** "2027-12-01" from an RFC 3339 time; "unknown" for none. */
export function day(rfc3339: string | null | undefined): string {
  return rfc3339 && RFC3339.test(rfc3339) ? rfc3339.slice(0, 10) : 'unknown';
}
