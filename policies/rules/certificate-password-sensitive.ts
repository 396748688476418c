import { PolicyRule, soleVariable } from '../policy-rule';

export const certificatePasswordSensitive: PolicyRule = {
  id: 'CERT2',
  description: 'A certificate password comes from a sensitive Terraform variable, so it is neither in the stack nor in plan output.',
  level: 'error',
  resourceType: 'azurerm_key_vault_certificate',
  isCompliant: (cert, stack) => {
    const password = cert.certificate?.password;
    if (password === undefined) return true;
    const variable = soleVariable(password);
    return variable !== undefined && stack.variable?.[variable]?.sensitive === true;
  },
  fix: 'declare the password as a variable with sensitive = true and reference only it (the ClientCertificate construct does)',
};
