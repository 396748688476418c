// The names a certificate is known by outside the constructs: its Terraform variables, the environment
// variables the tooling reads its file from, its default policy fragment, and the policy Key Vault holds for
// an imported certificate. Free of cdktf, so the operational commands (cert:rotation, cert:report, the
// pipeline steps) do not load it just to spell a variable name.

/**
 * The parts of Key Vault's certificate policy that are the same for every imported certificate: an
 * exportable key (APIM reads the private key through the secret), a fresh key on renewal, and PKCS#12,
 * the only secret type APIM takes. The rotation review compares them with the policy Key Vault holds.
 */
export const IMPORTED_CERTIFICATE_POLICY = { exportable: true, reuseKey: false, contentType: 'application/x-pkcs12' } as const;

/** The policy fragment a certificate publishes unless it names one: "client-cert-<certificate name>". */
export function defaultFragmentName(certificateName: string): string {
  return `client-cert-${certificateName}`;
}

/** "mtls-backend" → "mtls_backend": Terraform variable names that a shell can export as TF_VAR_… */
export function variableStem(certificateName: string): string {
  return certificateName.toLowerCase().replace(/-/g, '_');
}

/**
 * The Terraform variables a certificate is given through, in one place for the construct, the
 * pre-flight and the workstation commands: "mtls_backend_pfx_path" and "mtls_backend_pfx_password".
 * Set them as TF_VAR_<name>. Always a PFX: a PEM source is converted before Terraform runs.
 */
export function certificateVariableNames(certificateName: string): { path: string; password: string } {
  const stem = variableStem(certificateName);
  return { path: `${stem}_pfx_path`, password: `${stem}_pfx_password` };
}

/**
 * The environment variables the tooling (pre-flight, rotation table, workstation prompts) reads a
 * certificate's source file from: a PFX from TF_VAR_<stem>_pfx_path with TF_VAR_<stem>_pfx_password,
 * a PEM bundle from PEM_FILE_<stem> (no password: its key is unencrypted).
 */
export function certificateSourceVariables(certificateName: string, format: 'pfx' | 'pem' = 'pfx'): { file: string; password?: string } {
  if (format === 'pem') return { file: pemSourceVariableName(certificateName) };
  const names = certificateVariableNames(certificateName);
  return { file: `TF_VAR_${names.path}`, password: `TF_VAR_${names.password}` };
}

/**
 * The environment variable that names a PEM source file for the tooling (workstation commands, pipeline
 * scripts), which converts it to the PFX Terraform imports: "PEM_FILE_mtls_backend". Not a TF_VAR_:
 * Terraform never sees the PEM.
 */
export function pemSourceVariableName(certificateName: string): string {
  return `PEM_FILE_${variableStem(certificateName)}`;
}
