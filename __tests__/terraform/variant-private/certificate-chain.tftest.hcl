# The certificate chain as Terraform itself evaluates it, against the real provider schemas with mocked
# providers: which value flows into which argument after apply, which jest's look at the JSON cannot show.
# One run: each run block costs seconds of provider start-up, and every assertion below reads the same apply.

mock_provider "azurerm" {
  mock_resource "azurerm_key_vault" {
    defaults = {
      id = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-private/providers/Microsoft.KeyVault/vaults/kv-private"
    }
  }
  mock_data "azurerm_subscription" {
    defaults = {
      id = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90"
    }
  }
}

mock_provider "time" {}

variables {
  # Any file that exists will do for the mocked import; the stack's own JSON is always there.
  private_one_pfx_path     = "cdk.tf.json"
  private_one_pfx_password = "not-a-real-password"
}

run "certificate_chain_after_apply" {
  command = apply

  assert {
    condition     = azurerm_api_management_certificate.Certificate-private-one_ApiManagementCertificate.key_vault_secret_id == azurerm_key_vault_certificate.Certificate-private-one_KeyVaultCertificate.versionless_secret_id
    error_message = "APIM must reference the certificate's versionless secret id, so it follows renewals"
  }

  assert {
    condition     = azurerm_role_assignment.KeyVault_ApimSecretRead-private-one.scope == "${azurerm_key_vault.KeyVault.id}/secrets/private-one"
    error_message = "APIM's read access must be scoped to the certificate's secret, not the vault"
  }

  assert {
    condition     = azurerm_role_assignment.KeyVault_ApimSecretRead-private-one.principal_id == azurerm_api_management.ApiManagement.identity[0].principal_id
    error_message = "the secret must be readable by APIM's own identity"
  }

  assert {
    condition     = endswith(azurerm_role_assignment.KeyVault_ApimSecretRead-private-one.role_definition_id, "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
    error_message = "APIM must get Key Vault Secrets User"
  }

  assert {
    condition     = azurerm_role_assignment.KeyVault_DeployerAccess-5e8d2c71-4a9b-4c3e-8f1d-7b6a0e9c2d45.scope == azurerm_key_vault.KeyVault.id
    error_message = "the deployer's Certificates Officer role must be on the vault"
  }

  assert {
    condition     = azurerm_role_assignment.KeyVault_DeployerAccess-5e8d2c71-4a9b-4c3e-8f1d-7b6a0e9c2d45.role_definition_id == "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/providers/Microsoft.Authorization/roleDefinitions/a4417e6f-fecd-4de8-b567-7b0420556985"
    error_message = "the deployer must get Key Vault Certificates Officer, by its subscription-scoped id"
  }


  assert {
    condition     = azurerm_key_vault_certificate.Certificate-private-one_KeyVaultCertificate.certificate_policy[0].key_properties[0].exportable
    error_message = "APIM can only use an exportable key"
  }
}
