/**
 * EC keys for API Management client certificates. Ronald Bosma, "Securing backend connections with mTLS in
 * API Management" (ronaldbosma.github.io, 2024-05-24, updated 2026-06-09), reports that once deployed, an
 * APIM certificate whose key is EC cannot be deployed again: the redeployment fails with HTTP 500
 * InternalServerError after a wait of more than two hours, a behaviour Microsoft called a known issue.
 * Every renewal here is such a redeployment (a new version, refreshed in APIM), so an EC key is refused
 * unless the environment accepts the risk in writing (key.acceptEcKeyRisk), at synth and again when the
 * file is reviewed before a plan.
 */
export const EC_KEY_RISK =
  'an API Management certificate with an EC key has been reported to fail on every redeployment after the first, with HTTP 500 after more than two hours (R. Bosma, "Securing backend connections with mTLS in API Management", 2024; Microsoft: a known issue), and every renewal is one';

export const EC_KEY_FIX = 'use an RSA key (keyType "RSA", 2048 or more bits), or set key.acceptEcKeyRisk to why this environment takes that risk';

/** The refusals of the review before a plan: files with an EC key for a certificate whose environment did not accept the risk. */
export function ecKeyRefusals(certificates: readonly { readonly name: string; readonly fileKeyType: string; readonly ecKeyReason?: string }[]): string[] {
  return certificates
    .filter((c) => c.fileKeyType === 'EC' && !(c.ecKeyReason && c.ecKeyReason.trim().length >= 10))
    .map((c) => `${c.name}: the file's key is EC: ${EC_KEY_RISK}. Fix: ${EC_KEY_FIX}`);
}
