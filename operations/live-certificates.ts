import type { DeploymentManifest } from '../config/deployment-manifest';
import { thumbprintValue, timeValue } from '../rotation/deployed-certificates';
import { type AzureCli, AzureCliError } from './azure-cli';

/**
 * What Azure holds now for a certificate, read the way the APIM refresh and the expiry report need it:
 * Key Vault's current version (data plane: `az keyvault certificate show`) and what API Management serves
 * (ARM: Certificate_Get, specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/
 * 2024-05-01/apimcertificates.json). Every value is shape-checked: a thumbprint that is not 40 hex digits
 * or an expiry that is not RFC 3339 comes back as null, never as text to print.
 */
export const APIM_API_VERSION = '2024-05-01';

export interface LiveVersion {
  readonly thumbprint: string | null;
  readonly expires: string | null;
}

export const apimPath = (az: AzureCli, manifest: DeploymentManifest) =>
  `/subscriptions/${az.subscription}/resourceGroups/${manifest.apiManagement.resourceGroupName}/providers/Microsoft.ApiManagement/service/${manifest.apiManagement.name}`;

/** Key Vault's current version of the certificate; null when Key Vault has no certificate of that name. */
export async function keyVaultVersion(az: AzureCli, manifest: DeploymentManifest, name: string): Promise<LiveVersion | null> {
  try {
    const certificate = (await az.json(['keyvault', 'certificate', 'show', '--vault-name', manifest.keyVault.name, '--name', name], `reading certificate ${name} in vault ${manifest.keyVault.name}`)) as Record<string, any> | null;
    return { thumbprint: thumbprintValue(certificate?.x509ThumbprintHex), expires: timeValue(certificate?.attributes?.expires) };
  } catch (error) {
    if (error instanceof AzureCliError && error.kind === 'not-found') return null;
    throw error;
  }
}

/** The certificate API Management serves under that name; null when it has none. */
export async function apimVersion(az: AzureCli, manifest: DeploymentManifest, name: string): Promise<LiveVersion | null> {
  try {
    const certificate = (await az.json(['rest', '--method', 'get', '--url', `${apimPath(az, manifest)}/certificates/${name}?api-version=${APIM_API_VERSION}`], `reading certificate ${name} in API Management ${manifest.apiManagement.name}`)) as Record<string, any> | null;
    return { thumbprint: thumbprintValue(certificate?.properties?.thumbprint), expires: timeValue(certificate?.properties?.expirationDate) };
  } catch (error) {
    if (error instanceof AzureCliError && (error.kind === 'not-found' || /\(404\)|Not Found|NotFound/.test(error.detail))) return null;
    throw error;
  }
}
