import { PolicyRule } from '../policy-rule';

export const backendTlsValidation: PolicyRule = {
  id: 'APIM1',
  description: "An APIM backend validates the backend's TLS certificate chain and name, or mutual TLS authenticates only one side.",
  level: 'warning',
  resourceType: 'azurerm_api_management_backend',
  isCompliant: (backend) => backend.tls?.validate_certificate_chain !== false && backend.tls?.validate_certificate_name !== false,
  fix: 'leave backend.validateCertificateChain and validateCertificateName at their default (true); for a private CA, add its root to APIM instead',
};
