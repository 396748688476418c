# prod adds a certificate to an APIM instance it does not own, read through its user-assigned identity:
# what Terraform wires together there, with mocked providers against the real schemas. One run: each run
# block costs seconds of provider start-up, and every assertion below reads the same apply.

mock_provider "azurerm" {
  mock_data "azurerm_user_assigned_identity" {
    defaults = {
      principal_id = "11111111-2222-3333-4444-555555555555"
      client_id    = "66666666-7777-8888-9999-000000000000"
    }
  }
}

mock_provider "time" {}

variables {
  mtls_backend_pfx_path     = "cdk.tf.json"
  mtls_backend_pfx_password = "not-a-real-password"
}

run "existing_apim_after_apply" {
  command = apply

  assert {
    condition     = azurerm_role_assignment.KeyVault_ApimSecretRead-mtls-backend.principal_id == "11111111-2222-3333-4444-555555555555"
    error_message = "the secret must be readable by the user-assigned identity APIM uses"
  }

  assert {
    condition     = azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.key_vault_identity_client_id == "66666666-7777-8888-9999-000000000000"
    error_message = "APIM must be told which identity to read Key Vault with (its client id)"
  }

  assert {
    condition     = azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.api_management_name == "apim-contoso-prod"
    error_message = "the certificate must go into the existing instance"
  }

  assert {
    condition     = time_sleep.DeployerAccessPropagation_Sleep.create_duration == "5m" && time_sleep.Certificate-mtls-backend_ApimAccessPropagation_Sleep.create_duration == "5m"
    error_message = "prod's rbacPropagationWait must reach both waits"
  }

  assert {
    condition     = azurerm_api_management_backend.Certificate-mtls-backend_Backend.credentials[0].certificate[0] == azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.thumbprint
    error_message = "the backend must present the certificate registered in APIM"
  }

  assert {
    condition     = azurerm_api_management_backend.Certificate-mtls-backend_Backend.tls[0].validate_certificate_chain && azurerm_api_management_backend.Certificate-mtls-backend_Backend.tls[0].validate_certificate_name
    error_message = "TLS validation of the backend must stay on"
  }
}
