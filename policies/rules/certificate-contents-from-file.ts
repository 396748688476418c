import { PolicyRule } from '../policy-rule';

export const certificateContentsFromFile: PolicyRule = {
  id: 'CERT1',
  description: 'An imported certificate is read from a file at plan/apply time (filebase64 of a variable), never written into the stack.',
  level: 'error',
  resourceType: 'azurerm_key_vault_certificate',
  isCompliant: (cert) => {
    const contents = cert.certificate?.contents;
    return contents === undefined || (typeof contents === 'string' && /^\$\{filebase64\(var\.[A-Za-z_][A-Za-z0-9_-]*\)\}$/.test(contents));
  },
  fix: 'pass the file through a path variable: contents = "${filebase64(var.<cert>_pfx_path)}" (the ClientCertificate construct does)',
};
